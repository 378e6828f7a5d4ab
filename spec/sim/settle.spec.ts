import { expect } from 'chai';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { runSimulation } from '../../src/cli/simulateCommand.js';
import { FAULT_KINDS } from '../../src/sim/FaultyBroker.js';
import { idleTicks } from '../../src/sim/Simulation.js';

describe('settling a simulation', function () {
  this.timeout(120_000);

  it('counts the whole ticks before the next timer', () => {
    const clock = new VirtualClock(10_000);
    expect(idleTicks(clock, 1_000)).to.equal(Infinity);
    const far = clock.setTimeout(() => undefined, 4_500);
    expect(idleTicks(clock, 1_000)).to.equal(4); // due in the 5th tick
    clock.setTimeout(() => undefined, 1_000);
    expect(idleTicks(clock, 1_000)).to.equal(0); // due at the end of the next one
    clock.clearTimeout(far);
    clock.advance(1_000);
    expect(idleTicks(clock, 1_000)).to.equal(Infinity);
  });

  // The ops log store closes its files on a 5-minute timer, and paused partitions wait 30 s: the
  // settle is mostly waiting, which skipping the idle ticks must not change.
  for (const [apps, seed] of [['ops', 7], ['all', 8]] as const) {
    it(`gives the same run whether it skips the idle ticks or steps through them (${apps}, seed ${seed})`, async () => {
      const run = (skipIdleTicks: boolean) =>
        runSimulation({ apps: [apps], seed, durationMs: 30_000, faults: FAULT_KINDS, sizes: { users: 300, rate: 20 }, skipIdleTicks });
      const [stepped, skipped] = [await run(false), await run(true)];
      expect(skipped.ok && stepped.ok).to.equal(true);
      expect(skipped.digest).to.equal(stepped.digest);
      expect(skipped.eventsProcessed).to.equal(stepped.eventsProcessed);
      expect(skipped.faults).to.deep.equal(stepped.faults);
    });
  }
});

import { expect } from 'chai';
import { runSimulation } from '../../src/cli/simulateCommand.js';
import { FAULT_KINDS } from '../../src/sim/FaultyBroker.js';

describe('deterministic simulation', function () {
  this.timeout(120_000);
  const sizes = { users: 100, rate: 15 };

  for (const seed of [1, 2, 3]) {
    it(`holds every invariant under every fault with seed ${seed}`, async () => {
      const report = await runSimulation({ apps: ['all'], seed, durationMs: 20_000, faults: FAULT_KINDS, sizes });
      const broken = report.invariants.filter((i) => !i.held);
      expect(broken, JSON.stringify(broken)).to.deep.equal([]);
      expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
    });
  }

  it('gives the same digest for the same seed, and another for another seed', async () => {
    const run = (seed: number) => runSimulation({ apps: ['all'], seed, durationMs: 15_000, faults: FAULT_KINDS, sizes });
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(a.digest).to.equal(b.digest);
    expect(a.eventsProcessed).to.equal(b.eventsProcessed);
    expect(c.digest).to.not.equal(a.digest);
  });
});

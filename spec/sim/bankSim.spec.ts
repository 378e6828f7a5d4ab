import { expect } from 'chai';
import { runSimulation } from '../../src/cli/simulateCommand.js';
import { FAULT_KINDS } from '../../src/sim/FaultyBroker.js';
import type { SimReport } from '../../src/sim/Simulation.js';

const run = (seed: number, durationMs: number) =>
  runSimulation({ apps: ['bank'], seed, durationMs, faults: FAULT_KINDS, sizes: { users: 200, rate: 40 } });

/** A number the named invariant's detail reports, e.g. how many alerts came through a late change. */
function figure(report: SimReport, invariant: RegExp, pattern: RegExp): number {
  const detail = report.invariants.find((i) => invariant.test(i.name))?.detail ?? '';
  const m = pattern.exec(detail);
  expect(m, `'${pattern}' in '${detail}'`).to.not.equal(null);
  return Number(m![1]);
}

describe('MyBank under simulation (CDC from a SQLite source, every fault)', function () {
  this.timeout(120_000);

  for (const seed of [1, 2, 3]) {
    it(`holds every invariant with seed ${seed}`, async () => {
      const report = await run(seed, 90_000);
      const broken = report.invariants.filter((i) => !i.held);
      expect(broken, JSON.stringify(broken)).to.deep.equal([]);
      expect(report.invariants.map((i) => i.name)).to.have.length(8);
      // The run exercised what the invariants are about.
      expect(report.faults.crash ?? 0).to.be.greaterThan(0);
      expect(figure(report, /above the threshold/, /(\d+) expected/)).to.be.greaterThan(50);
      expect(figure(report, /above the threshold/, /(\d+) of them through a late settings change/)).to.be.greaterThan(0);
      expect(figure(report, /set or lowered after/, /(\d+) transactions/)).to.be.greaterThan(0);
      expect(figure(report, /malformed source row/, /(\d+) of/)).to.be.greaterThan(0);
    });
  }

  it('gives the same digest for the same seed, and another for another seed', async () => {
    const [a, b, c] = [await run(7, 45_000), await run(7, 45_000), await run(8, 45_000)];
    expect(a.ok && b.ok && c.ok).to.equal(true);
    expect(a.digest).to.equal(b.digest);
    expect(a.eventsProcessed).to.equal(b.eventsProcessed);
    expect(c.digest).to.not.equal(a.digest);
  });
});

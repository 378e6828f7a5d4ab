import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { runSimulation } from '../../src/cli/simulateCommand.js';
import { FAULT_KINDS, type FaultKind } from '../../src/sim/FaultyBroker.js';
import type { SimReport } from '../../src/sim/Simulation.js';

const run = (seed: number, durationMs: number, faults: readonly FaultKind[] = FAULT_KINDS) =>
  runSimulation({ apps: ['ops'], seed, durationMs, faults, sizes: { users: 1_000, rate: 40 } });

/** A number the named invariant's detail reports, e.g. how many minutes closed. */
function figure(report: SimReport, invariant: RegExp, pattern: RegExp): number {
  const detail = report.invariants.find((i) => invariant.test(i.name))?.detail ?? '';
  const m = pattern.exec(detail);
  expect(m, `'${pattern}' in '${detail}'`).to.not.equal(null);
  return Number(m![1]);
}

const scratch = () => (existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((n) => n.startsWith('kastor-sim-ops-')).length : 0);

describe('logging and metrics aggregation under simulation (every fault)', function () {
  this.timeout(120_000);

  for (const seed of [1, 2, 3]) {
    it(`holds every invariant with seed ${seed}`, async () => {
      const before = scratch();
      const report = await run(seed, 150_000);
      const broken = report.invariants.filter((i) => !i.held);
      expect(broken, JSON.stringify(broken)).to.deep.equal([]);
      expect(report.invariants.map((i) => i.name)).to.have.length(7);
      expect(report.faults.crash ?? 0).to.be.greaterThan(0);
      expect(figure(report, /closed minute's aggregate per service/, /(\d+) closed minutes/)).to.be.greaterThan(20);
      expect(figure(report, /closed minute's aggregate per service/, /(\d+) late samples left out/)).to.be.greaterThan(0);
      expect(figure(report, /dead-lettered/, /lines (\d+) of/)).to.be.greaterThan(0);
      expect(figure(report, /log store/, /(\d+) records/)).to.be.greaterThan(1_000);
      // The log store's scratch directory goes with the run (other processes' may come and go).
      expect(scratch()).to.be.at.most(before);
    });
  }

  // Without crashes, a batch delivered twice is the only way a record could reach a file twice.
  it('keeps the log store exact when batches are delivered twice', async () => {
    const report = await run(1, 120_000, ['redeliver']);
    expect(report.faults.redeliver ?? 0).to.be.greaterThan(5);
    const broken = report.invariants.filter((i) => !i.held);
    expect(broken, JSON.stringify(broken)).to.deep.equal([]);
  });

  it('gives the same digest for the same seed, and another for another seed', async () => {
    const [a, b, c] = [await run(7, 90_000), await run(7, 90_000), await run(8, 90_000)];
    expect(a.ok && b.ok && c.ok).to.equal(true);
    expect(a.digest).to.equal(b.digest);
    expect(a.eventsProcessed).to.equal(b.eventsProcessed);
    expect(c.digest).to.not.equal(a.digest);
  });
});

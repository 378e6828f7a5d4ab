/**
 * Seed sweeps (src/sim/sweep.ts, `kastor simulate --seeds`): a CI-sized sweep of every application
 * with every fault, each seed in its own child process of the real CLI. It fails when any seed
 * breaks an invariant (spec/sim/sweepInjectedBug.spec.ts shows one that does).
 */
import { expect } from 'chai';
import { FAULT_KINDS } from '../../src/sim/FaultyBroker.js';
import { type SeedResult, type SweepOptions, sweep } from '../../src/sim/sweep.js';
import { parseSeeds, runSimulation } from '../../src/cli/simulateCommand.js';
import { runCli } from '../cli/runCli.js';

/** Small enough for CI on 2 cores: 10 seeds of 10 simulated seconds, 2 at a time. */
const CI_SWEEP: SweepOptions = {
  apps: ['all'],
  seeds: parseSeeds('1..10'),
  durationMs: 10_000,
  faults: [...FAULT_KINDS],
  sizes: { users: 50, rate: 10 },
  jobs: 2,
};

describe('seed sweep', function () {
  this.timeout(180_000);

  it('runs every seed with every fault, and every seed holds its invariants', async () => {
    const streamed: SeedResult[] = [];
    const report = await sweep({ ...CI_SWEEP, onSeed: (r) => streamed.push(r) });
    const failures = report.failed.map((f) => `seed ${f.seed}: ${f.error ?? f.report!.invariants.filter((i) => !i.held).map((i) => `${i.name} (${i.detail})`).join('; ')}\n  ${f.command}`);
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(report.results.map((r) => r.seed)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(streamed).to.have.length(10);
    for (const r of report.results) {
      expect(r.report!.seed).to.equal(r.seed);
      expect(r.report!.simulatedMs).to.equal(10_000);
      expect(Object.keys(r.report!.faults).length, `seed ${r.seed} faults`).to.be.greaterThan(0);
    }
    expect(report.eventsProcessed).to.equal(report.results.reduce((n, r) => n + r.report!.eventsProcessed, 0)).and.to.be.greaterThan(0);
    expect(report.seedsPerMinute).to.be.greaterThan(0);
  });

  it('gives a seed the digest a lone run of that seed gives', async () => {
    const options: SweepOptions = { ...CI_SWEEP, seeds: [7], jobs: 1 };
    const [swept, lone] = await Promise.all([
      sweep(options),
      runSimulation({ apps: ['all'], seed: 7, durationMs: options.durationMs, faults: options.faults, sizes: options.sizes }),
    ]);
    expect(swept.results[0].report!.digest).to.equal(lone.digest);
    expect(swept.results[0].report!.eventsProcessed).to.equal(lone.eventsProcessed);
    expect(swept.results[0].command).to.equal('npx kastor simulate all --seed 7 --duration 10s --faults all --users 50 --rate 10');
  });

  it('reads seed lists as ranges, lists or both', () => {
    expect(parseSeeds('1..5')).to.deep.equal([1, 2, 3, 4, 5]);
    expect(parseSeeds('3,7,9')).to.deep.equal([3, 7, 9]);
    expect(parseSeeds('1..3, 9, 2')).to.deep.equal([1, 2, 3, 9]);
    expect(() => parseSeeds('5..1')).to.throw('backwards');
    expect(() => parseSeeds('one')).to.throw('not like 1..500');
  });

  it('prints a summary from the command line, and refuses --seed with --seeds (exit 2)', async () => {
    const [ok, both] = await Promise.all([
      runCli(['simulate', 'social', '--seeds', '1,2', '--duration', '5s', '--faults', 'all', '--users', '20', '--rate', '5', '--jobs', '2'], { timeoutMs: 60_000 }),
      runCli(['simulate', '--seed', '3', '--seeds', '1..4']),
    ]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/^seeds run 2 of 2, failed 0$/m)
      .and.match(/^events processed \d+ \(\d+ per seed\), simulated 5\.0 s per seed$/m)
      .and.match(/^wall [\d.]+ s with 2 jobs: [\d.]+ seeds per minute$/m);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include('--seed and --seeds exclude each other');
  });
});

/**
 * A sweep catches a real bug and prints the command that reproduces it. The bug is injected from
 * outside the product (spec/sim/support/postRedeliveryBug.ts, loaded into each child with
 * `node --import`): the social post stage no longer drops redelivered events by id, so a comment
 * redelivered by the log counts twice. Only seeds whose faults redeliver such an event catch it.
 */
import { exec } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { FAULT_KINDS } from '../../src/sim/FaultyBroker.js';
import { type SweepOptions, sweep } from '../../src/sim/sweep.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const BUG = './spec/sim/support/postRedeliveryBug.ts';
const COUNTS = 'social: likes = distinct likers and comments counted once, per live post';

const SOCIAL: SweepOptions = {
  apps: ['social'],
  seeds: [1, 2, 3, 4, 5, 6],
  durationMs: 10_000,
  faults: [...FAULT_KINDS],
  sizes: { users: 50, rate: 10 },
  jobs: 2,
};

describe('seed sweep with an injected bug (a post stage that counts a redelivered event twice)', function () {
  this.timeout(180_000);

  it('fails the seeds that redeliver into the post stage, and the printed command reproduces each', async () => {
    const buggy = await sweep({ ...SOCIAL, imports: [BUG] });
    expect(buggy.results).to.have.length(6);
    expect(buggy.failed.length, 'seeds that caught the bug').to.be.within(1, 5);
    for (const f of buggy.failed) {
      expect(f.error, `seed ${f.seed} ran to its report`).to.equal(undefined);
      expect(f.report!.invariants.filter((i) => !i.held).map((i) => i.name)).to.deep.equal([COUNTS]);
      expect(f.report!.faults.redeliver ?? 0, `seed ${f.seed} redelivered`).to.be.greaterThan(0);
      expect(f.command).to.equal(`node --import tsx --import ${BUG} bin/kastor.mjs simulate social --seed ${f.seed} --duration 10s --faults all --users 50 --rate 10`);
    }

    // The printed command, run as a user would from a shell, fails the same way with the same digest.
    const first = buggy.failed[0];
    const rerun = await promisify(exec)(first.command, { cwd: REPO }).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(rerun.code).to.equal(1);
    expect(rerun.stdout).to.include(`BROKEN ${COUNTS}`).and.include(`digest ${first.report!.digest}`);
  });

  it('passes the same seeds without the injection', async () => {
    const clean = await sweep(SOCIAL);
    expect(clean.failed.map((f) => f.seed)).to.deep.equal([]);
    expect(clean.results).to.have.length(6);
  });

  it('stops at the first failing seed with --fail-fast', async () => {
    const stopped = await sweep({ ...SOCIAL, seeds: [3, 1, 2, 4, 5, 6], jobs: 1, imports: [BUG], failFast: true });
    expect(stopped.failed).to.have.length(1);
    expect(stopped.failed[0].report?.invariants.some((i) => !i.held)).to.equal(true);
    expect(stopped.results.length).to.be.lessThan(6);
    expect(stopped.stopped).to.equal(true);
  });
});

/**
 * `kastor run` as a supervisor runs it: a child process, SIGTERM in the middle of traffic, a
 * restart on the same data directory, with the stages on one thread and on two worker threads.
 * Every comment answered 202 is counted once; none twice.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../src/http/auth/index.js';
import { childTokens, postJson, startKastor } from '../support/childProcess.js';
import { waitFor, waitForValue } from '../support/waitFor.js';

const startChild = (dataDir: string, workers?: number) => startKastor({ dataDir, args: ['social', ...(workers ? ['--workers', String(workers)] : [])] });
const as = async (sub: string, role: Role = 'user') => ({ headers: await (await childTokens()).header(sub, role) });
/** POSTs as the body's user. */
const post = async (base: string, route: string, body: { userId: string; text: string }) => postJson(base, route, body, await as(body.userId));

describe('the supervised process', function () {
  this.timeout(90_000);

  for (const workers of [1, 2]) it(`drains on SIGTERM mid-traffic, exits 0, and loses or doubles nothing across the restart (--workers ${workers})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kastor-proc-'));
    try {
      const first = await startChild(dir, workers);
      const created = await (await post(first.base, '/social/posts', { userId: 'alice', text: 'count me' })).json() as { postId: string };
      const { postId } = created;
      await waitFor(async () => (await fetch(`${first.base}/social/posts/${postId}`, await as('reader'))).status === 200);

      let accepted = 0;
      let attempted = 0;
      let stop = false;
      const traffic = (async () => {
        for (let i = 0; !stop && i < 5_000; i++) {
          attempted++;
          try {
            const res = await post(first.base, `/social/posts/${postId}/comments`, { userId: `u${i % 50}`, text: `comment ${i}` });
            if (res.status === 202) accepted++;
            await res.arrayBuffer();
          } catch {
            stop = true; // the server is gone
          }
        }
      })();
      await waitFor(() => accepted >= 100, { timeoutMs: 30_000 });
      first.proc.kill('SIGTERM');
      const code = await first.exit;
      stop = true;
      await traffic;
      expect(code).to.equal(0);
      expect(first.logs.some((l) => l.includes('"kastor stopped"'))).to.equal(true);

      const second = await startChild(dir, workers);
      const comments = async () => ((await (await fetch(`${second.base}/social/posts/${postId}`, await as('reader'))).json()) as { comments: number }).comments;
      await waitForValue(async () => ((await comments()) >= accepted ? true : undefined), { timeoutMs: 20_000, message: `${accepted} comments` });
      expect(await comments()).to.be.within(accepted, attempted);
      // Nothing is counted twice: a comment answered 202 after the restart makes exactly one more.
      const before = await comments();
      expect((await post(second.base, `/social/posts/${postId}/comments`, { userId: 'late', text: 'one more' })).status).to.equal(202);
      await waitFor(async () => (await comments()) === before + 1);
      second.proc.kill('SIGTERM');
      expect(await second.exit).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers /healthz and /readyz to anyone, /metrics to an admin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kastor-proc-'));
    try {
      const child = await startChild(dir);
      await waitFor(async () => (await fetch(`${child.base}/readyz`)).status === 200, { timeoutMs: 20_000 });
      expect((await fetch(`${child.base}/healthz`)).status).to.equal(200);
      await post(child.base, '/social/posts', { userId: 'alice', text: 'metrics' });
      expect((await fetch(`${child.base}/metrics`)).status).to.equal(401);
      const metrics = await (await fetch(`${child.base}/metrics`, await as('ops', 'admin'))).text();
      for (const series of [
        'kastor_events_in_total', 'kastor_batch_duration_seconds', 'kastor_consumer_lag', 'kastor_live_actors',
        'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds',
      ]) {
        expect(metrics, series).to.include(series);
      }
      child.proc.kill('SIGINT');
      expect(await child.exit).to.equal(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The commit protocol's crash spec (spec/host/commitProtocol.spec.ts) with two worker threads:
 * worker 1's thread ends on the spot (as kill -9 ends a process) after each step of the protocol
 * in its post stage; the pool restarts it, it resumes from its own SQLite offsets, and the read
 * model — read through both workers' files — holds every like and comment exactly once.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socialTopics } from '../../config/social.js';
import { COMMIT_STEPS } from '../../src/host/CommitStep.js';
import { type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { workerStateFiles } from '../../src/cli/workers/layout.js';
import { unionReadConnection } from '../../adapters/sqlite/unionReadConnection.js';
import { workload } from '../support/socialWorkload.js';
import { waitFor } from '../support/waitFor.js';

describe('commit protocol with two worker threads', function () {
  this.timeout(60_000);
  let dir: string;
  let proc: RunningProcess | undefined;
  const level = process.env.KASTOR_LOG_LEVEL;
  before(() => (process.env.KASTOR_LOG_LEVEL = 'error'));
  after(() => (level === undefined ? delete process.env.KASTOR_LOG_LEVEL : (process.env.KASTOR_LOG_LEVEL = level)));
  afterEach(async () => {
    delete process.env.KASTOR_WORKER_CRASH;
    await proc?.stop();
    proc = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  for (const step of COMMIT_STEPS) {
    for (const occurrence of [1, 3]) {
      it(`loses nothing and counts nothing twice when worker 1 dies after '${step}' (occurrence ${occurrence})`, async () => {
        dir = mkdtempSync(join(tmpdir(), 'kastor-workers-crash-'));
        process.env.KASTOR_WORKER_CRASH = `1:social.post:${step}:${occurrence}`;
        // Small batches: the post stage commits in many rounds (see commitProtocol.spec.ts).
        proc = await startProcess({ apps: ['social'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', workers: 2, maxBatchSize: 4 });
        const { events, expected } = workload();
        const producer = proc.broker.producer({});
        for (const [topic, key, event] of events) {
          await producer.send([{ topic: socialTopics[topic].name, key, value: JSON.stringify(event) }]);
        }
        await producer.close();
        const pool = proc.pool!;
        await waitFor(() => pool.readiness.workers[1].restarts === 1 && pool.readiness.ready, {
          timeoutMs: 30_000, message: () => `worker 1 to die after '${step}' and come back: ${JSON.stringify(pool.readiness.workers)}`,
        });
        const db = unionReadConnection(workerStateFiles(dir, 2));
        try {
          const row = db.prepare<[string], { likes: number; comments: number }>('SELECT likes, comments FROM social_posts WHERE post_id = ?');
          const counts = () => [...expected.keys()].map((postId) => ({ postId, ...row.get(postId) }));
          const want = [...expected].map(([postId, e]) => ({ postId, likes: e.likers.size, comments: e.comments }));
          await waitFor(() => JSON.stringify(counts()) === JSON.stringify(want), {
            timeoutMs: 20_000, message: () => `counts ${JSON.stringify(counts())}, expected ${JSON.stringify(want)}`,
          });
          // And they stay so: nothing replayed counts again later.
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect(counts()).to.deep.equal(want);
        } finally {
          db.close();
        }
        // Worker 1 really held some of the posts.
        expect(pool.readiness.stages['social.post'].assigned['tracking.social.likes'].filter((p) => p % 2 === 1)).to.have.length(15);
      });
    }
  }
});

/**
 * Benchmark 1 with worker threads: `kastor run social` on the memory transport (startProcess, the
 * process `kastor run` starts) with `--workers 1` and `--workers 2`, on the same likes, against bare
 * XState `actor.send` of those likes in one thread (hostBench.ts's peer).
 *
 * The whole application runs, not the bench app of `host`: per like the post actor, its counts
 * event repartitioned to the trending actor, and the read model's projection — so the work per like
 * is larger than benchmark 1's, and the ratio errs against kastor. The clock runs from the first
 * like appended to the moment the read model counts every like (the end of the post actor's path);
 * appending the pre-serialised likes is inside it. A second figure waits for every stage, the
 * trending actor (one partition, so one worker) included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { socialTopics } from '../../config/social.js';
import type { Broker } from '../../src/broker/Broker.js';
import { type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { workerStateFiles } from '../../src/cli/workers/layout.js';
import { unionReadConnection } from '../../adapters/sqlite/unionReadConnection.js';
import { bareSendRate, type Rate } from './hostBench.js';
import { type BenchResult, now, result, round, sleep } from './measure.js';
import { type WorkloadSizes, likeEvents, likeTruth, postCreated, range, recordBatches } from './workload.js';

export function workersSizes(quick: boolean): WorkloadSizes {
  return quick ? { posts: 2_000, likes: 20_000, users: 1_000_000 } : { posts: 20_000, likes: 200_000, users: 1_000_000 };
}

const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * Resolves once `sql` (one number) reaches `target` on the read model, read through the union of
 * the workers' files as the routes read it — no question to the busy workers.
 */
async function until(files: readonly string[], sql: string, target: number, timeoutMs: number): Promise<void> {
  const db = unionReadConnection(files);
  try {
    const query = db.prepare(sql).pluck();
    const deadline = now() + timeoutMs;
    for (;;) {
      const n = query.get() as number;
      if (n >= target) return;
      if (now() > deadline) throw new Error(`${sql}: ${n} of ${target} after ${timeoutMs} ms`);
      await sleep(20);
    }
  } finally {
    db.close();
  }
}

type Batch = ReturnType<typeof recordBatches> extends Generator<infer B> ? B : never;

/**
 * Resolves once every stage stored, for every partition it read, the partition's high watermark,
 * twice in a row (what is still produced downstream shows in between).
 */
async function allCaughtUp(files: readonly string[], broker: Broker, timeoutMs: number): Promise<void> {
  const db = unionReadConnection(files);
  try {
    const rows = db.prepare('SELECT topic, partition, next_offset AS next FROM kastor_offsets');
    const deadline = now() + timeoutMs;
    let settled = 0;
    while (settled < 2) {
      const stored = rows.all() as Array<{ topic: string; partition: number; next: number }>;
      const highs = await Promise.all(stored.map(async (r) => (await broker.admin.watermarks(r)).high));
      settled = stored.every((r, i) => r.next >= highs[i]) ? settled + 1 : 0;
      if (now() > deadline) throw new Error(`stages not caught up after ${timeoutMs} ms`);
      await sleep(50);
    }
  } finally {
    db.close();
  }
}

export async function runWith(workers: number, sizes: WorkloadSizes, likes: readonly Batch[]): Promise<Rate & { appendMs: number; allWall: number }> {
  const expectedLikes = [...likeTruth(sizes).likes.values()].reduce((a, b) => a + b, 0);
  const dir = mkdtempSync(join(tmpdir(), `kastor-bench-workers${workers}-`));
  const previous = process.env.KASTOR_LOG_LEVEL;
  process.env.KASTOR_LOG_LEVEL = 'warn';
  let proc: RunningProcess | undefined;
  try {
    proc = await startProcess({
      apps: ['social'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', workers, maxLiveActors: sizes.posts,
    });
    const files = workerStateFiles(dir, workers);
    const producer = proc.broker.producer({ profile: 'reliable', clientId: 'bench' });
    for (const batch of recordBatches(socialTopics.posts.name, range(sizes.posts, postCreated))) await producer.send(batch);
    await until(files, 'SELECT count(*) FROM social_posts', sizes.posts, 600_000);

    const t0 = now();
    const c0 = cpuSeconds();
    for (const batch of likes) await producer.send(batch);
    const appendMs = now() - t0;
    await until(files, 'SELECT coalesce(sum(likes), 0) FROM social_posts', expectedLikes, 1_800_000);
    const elapsed = now() - t0;
    const cpu = cpuSeconds() - c0;
    await allCaughtUp(files, proc.broker, 1_800_000);
    const all = now() - t0;
    await producer.close();
    return { wall: sizes.likes / (elapsed / 1000), cpu: sizes.likes / cpu, appendMs, allWall: sizes.likes / (all / 1000) };
  } finally {
    await proc?.stop();
    if (previous === undefined) delete process.env.KASTOR_LOG_LEVEL;
    else process.env.KASTOR_LOG_LEVEL = previous;
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function workersBench(quick: boolean): Promise<BenchResult> {
  const sizes = workersSizes(quick);
  const out = result('workers', 'kastor run social with worker threads, memory transport (likes, Zipf)');
  const likes = [...likeEvents(sizes)];
  const bareBefore = bareSendRate(sizes, likes);
  const batches = [...recordBatches(socialTopics.likes.name, likes)];
  const one = await runWith(1, sizes, batches);
  const two = await runWith(2, sizes, batches);
  const bareAfter = bareSendRate(sizes, likes);
  const bare = Math.max(bareBefore.wall, bareAfter.wall);
  const bareCpu = Math.max(bareBefore.cpu, bareAfter.cpu);

  const what = `${sizes.likes} likes on ${sizes.posts} posts, each counted in the read model`;
  out.figures.push(
    { label: `--workers 1: ${what}`, value: Math.round(one.wall), unit: 'events/s' },
    { label: `--workers 2: ${what}`, value: Math.round(two.wall), unit: 'events/s' },
    { label: 'every stage caught up, trending (one partition) included: --workers 1 / 2', value: Math.round(one.allWall), unit: `/ ${Math.round(two.allWall)} events/s` },
    { label: 'bare XState actor.send, same likes, one thread (best of before/after)', value: Math.round(bare), unit: 'events/s' },
    { label: 'per CPU second of the process (all threads): --workers 1 / --workers 2', value: Math.round(one.cpu), unit: `/ ${Math.round(two.cpu)} events per CPU-s` },
    { label: 'appending the likes to the memory log (inside the clock): --workers 1 / 2', value: round(one.appendMs / 1000), unit: `s / ${round(two.appendMs / 1000)} s` },
  );
  out.ratios.push(
    { label: '--workers 2 / bare XState (one thread), wall-clock', value: round(two.wall / bare, 3), min: 1.0 },
    { label: '--workers 1 / bare XState, wall-clock', value: round(one.wall / bare, 3), min: 0.7 },
    { label: '--workers 2 / --workers 1, wall-clock (what the second core gives)', value: round(two.wall / one.wall, 3) },
    { label: '--workers 1 / bare XState per CPU second', value: round(one.cpu / bareCpu, 3) },
  );
  out.notes.push('the whole social application per like (post actor, trending repartition and actor, read model), where bare XState only sends the like to its post actor');
  return out;
}

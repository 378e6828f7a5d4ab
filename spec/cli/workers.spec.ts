/**
 * `kastor run --workers 2` on the embedded broker: each worker thread owns the partitions p with
 * p mod 2 = its index, in its own SQLite file; reads, /readyz, /metrics and the console see them
 * all; a worker ended mid-traffic (as kill -9 ends a process) is restarted and resumes from its
 * own offsets, so every comment answered 202 is counted exactly once.
 */
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { bankTopics } from '../../config/bank.js';
import { SOURCE_FILE } from '../../src/apps/bank/index.js';
import { seedDb } from '../../src/apps/bank/seedDb.js';
import { MemoryBroker } from '../../adapters/memory/index.js';
import type { Broker } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { workersEngine } from '../../src/cli/workers/workersEngine.js';
import { nanoidSource } from '../../src/ids/IdSource.js';
import { silentLogger } from '../../src/log/Logger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { WorkerCountMismatch, workerStateFiles } from '../../src/cli/workers/layout.js';
import { Tokens } from '../support/auth.js';
import { jsonClient } from '../support/http.js';
import { waitFor, waitForValue } from '../support/waitFor.js';

describe('kastor run --workers 2', function () {
  this.timeout(90_000);
  let dir: string;
  let proc: RunningProcess | undefined;
  let tokens: Tokens;
  const call = jsonClient(() => `http://127.0.0.1:${proc!.port}`, () => tokens);
  const start = async (workers = 2) => {
    proc = await startProcess({ apps: ['social'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', workers });
    tokens = await Tokens.ofDataDir(dir);
    return proc;
  };
  const newPost = async (userId: string, text: string) => {
    const r = await call('POST', '/social/posts', { userId, text });
    expect(r.status).to.equal(202);
    const postId = r.body.postId as string;
    await waitForValue(async () => ((await call('GET', `/social/posts/${postId}`)).status === 200 ? true : undefined), { timeoutMs: 20_000 });
    return postId;
  };
  const counts = async (postId: string) => (await call('GET', `/social/posts/${postId}`)).body as { likes: number; comments: number };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-workers-'));
  });
  afterEach(async () => {
    await proc?.stop();
    proc = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits every stage\'s partitions between the workers\' files, and answers reads, /readyz, /metrics and the console from all', async () => {
    await start();
    const posts = await Promise.all(Array.from({ length: 8 }, (_, i) => newPost('alice', `post ${i}`)));
    for (const postId of posts) {
      for (const userId of ['bob', 'carol', 'carol']) expect((await call('POST', `/social/posts/${postId}/likes`, { userId })).status).to.equal(202);
      expect((await call('POST', `/social/posts/${postId}/comments`, { userId: 'bob', text: 'hi' })).status).to.equal(202);
    }
    for (const postId of posts) await waitFor(async () => { const c = await counts(postId); return c.likes === 2 && c.comments === 1; }, { timeoutMs: 20_000 });
    const feed = await call('GET', '/social/feed?limit=20');
    expect((feed.body.items as unknown[]).length).to.equal(8);

    // Worker i stored offsets only for its own partitions, and between them they hold every post.
    const files = workerStateFiles(dir, 2);
    let held = 0;
    files.forEach((file, worker) => {
      const db = new Database(file, { readonly: true });
      try {
        const partitions = db.prepare('SELECT DISTINCT partition FROM kastor_offsets WHERE next_offset > 0').pluck().all() as number[];
        expect(partitions.length, `worker ${worker} read something`).to.be.greaterThan(0);
        for (const p of partitions) expect(p % 2, `partition ${p} in worker ${worker}'s file`).to.equal(worker);
        held += (db.prepare('SELECT count(*) FROM social_posts').pluck().get() as number);
      } finally {
        db.close();
      }
    });
    expect(held).to.equal(8);

    // Each worker reports its readiness every 250 ms: a CI box under load may see a late report.
    type ReadyzBody = { ready: boolean; workers: Array<{ worker: number; ready: boolean }>; stages: Record<string, { assigned: Record<string, number[]> }> };
    let last: { status: number; body: ReadyzBody } | undefined;
    const readiness = await waitForValue(async () => {
      const ready = await fetch(`http://127.0.0.1:${proc!.port}/readyz`);
      last = { status: ready.status, body: await ready.json() as ReadyzBody };
      return last.status === 200 ? last.body : undefined;
    }, { timeoutMs: 10_000, message: () => `/readyz answers 200; last: ${JSON.stringify(last)}` });
    expect(readiness.workers.map((w) => [w.worker, w.ready])).to.deep.equal([[0, true], [1, true]]);
    expect(readiness.stages['social.post'].assigned['tracking.social.likes']).to.have.length(30);

    const admin = await tokens.header('ops', 'admin');
    const metrics = await (await fetch(`http://127.0.0.1:${proc!.port}/metrics`, { headers: admin })).text();
    expect(metrics).to.match(/kastor_events_in_total\{stage="social.post",worker="0"\} [1-9]/);
    expect(metrics).to.match(/kastor_events_in_total\{stage="social.post",worker="1"\} [1-9]/);
    expect(metrics).to.include('process_cpu_seconds_total');
    expect(metrics).to.include('kastor_partitions_assigned{stage="social.post",worker="0"} 45');
    expect(metrics).to.include('kastor_partitions_assigned{stage="social.post",worker="1"} 45');
    expect(metrics).to.match(/kastor_consumer_lag\{stage="social.post",topic="tracking.social.likes",partition="1",worker="1"\} 0/);

    const overview = await (await fetch(`http://127.0.0.1:${proc!.port}/console/api/overview`, { headers: admin })).json() as {
      healthy: boolean; stages: Array<{ name: string; assigned: string[]; eventsIn: number; partitions: Array<{ partition: number; lag: number }> }>;
    };
    expect(overview.healthy).to.equal(true);
    const postStage = overview.stages.find((s) => s.name === 'social.post')!;
    expect(postStage.assigned).to.have.length(90);
    expect(postStage.eventsIn).to.equal(8 * 5); // a post, three likes and a comment each
    expect(postStage.partitions.every((p) => p.lag === 0)).to.equal(true);
    const inspected = await fetch(`http://127.0.0.1:${proc!.port}/console/api/entities/social/post/${posts[0]}`, { headers: admin });
    expect(inspected.status).to.equal(200);
    const view = (await inspected.json()) as { context: { likers: unknown }; partition: number; worker: number };
    expect(view.context.likers).to.deep.equal([['bob', 'carol']]);
    expect(view.worker).to.equal(view.partition % 2);
    expect((await fetch(`http://127.0.0.1:${proc!.port}/console/api/entities/social/post/post_nobody`, { headers: admin })).status).to.equal(404);
    // The inspector's key search finds the posts of both workers' files.
    const found = await (await fetch(`http://127.0.0.1:${proc!.port}/console/api/entities/social/post?prefix=post_&limit=100`, { headers: admin })).json() as { keys: string[] };
    expect(found.keys).to.deep.equal([...posts].sort());
  });

  it('restarts a worker ended mid-traffic: every comment answered 202 is counted once, then and after a restart of the process', async () => {
    await start();
    const posts = await Promise.all(Array.from({ length: 6 }, (_, i) => newPost('alice', `post ${i}`)));
    const accepted = new Map(posts.map((p) => [p, 0]));
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const postId = posts[i % posts.length];
        const r = await call('POST', `/social/posts/${postId}/comments`, { userId: `u${i % 20}`, text: `comment ${i}` });
        if (r.status === 202) accepted.set(postId, accepted.get(postId)! + 1);
      }
    })();
    const total = () => [...accepted.values()].reduce((a, b) => a + b, 0);
    await waitFor(() => total() >= 150, { timeoutMs: 30_000 });
    await proc!.pool!.terminate(1);
    await waitFor(() => proc!.pool!.readiness.workers[1].state === 'backing-off', { timeoutMs: 10_000, message: 'worker 1 noticed as dead' });
    await waitFor(() => proc!.pool!.readiness.ready, { timeoutMs: 30_000, message: 'worker 1 back' });
    await waitFor(() => total() >= 300, { timeoutMs: 30_000 });
    stop = true;
    await traffic;
    for (const postId of posts) {
      await waitFor(async () => (await counts(postId)).comments >= accepted.get(postId)!, { timeoutMs: 20_000, message: `${accepted.get(postId)} comments on ${postId}` });
      expect((await counts(postId)).comments, postId).to.equal(accepted.get(postId));
    }
    await proc!.stop();
    await start();
    for (const postId of posts) expect((await counts(postId)).comments, `${postId} after a restart`).to.equal(accepted.get(postId));
    // And a new comment makes exactly one more.
    expect((await call('POST', `/social/posts/${posts[0]}/comments`, { userId: 'late', text: 'one more' })).status).to.equal(202);
    await waitFor(async () => (await counts(posts[0])).comments === accepted.get(posts[0])! + 1, { timeoutMs: 20_000 });
  });

  it('keeps the CDC source\'s position in the process\'s own file: a restart reads no row twice', async () => {
    const transactions = bankTopics.bankTransactions.name;
    const produced = async () => {
      let n = 0;
      for (let partition = 0; partition < bankTopics.bankTransactions.partitions; partition++) n += (await proc!.broker.admin.watermarks({ topic: transactions, partition })).high;
      return n;
    };
    proc = await startProcess({ apps: ['bank'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', workers: 2 });
    seedDb({ file: join(dir, SOURCE_FILE), now: Date.now(), count: 5 });
    await waitFor(async () => (await produced()) === 5, { timeoutMs: 20_000, message: 'the 5 rows on the topic' });
    await proc.stop();
    proc = await startProcess({ apps: ['bank'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', workers: 2 });
    seedDb({ file: join(dir, SOURCE_FILE), now: Date.now(), count: 1, seed: 2 });
    await waitFor(async () => (await produced()) >= 6, { timeoutMs: 20_000, message: 'the new row on the topic' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await produced(), 'the first 5 rows are not read again').to.equal(6);
  });

  it('ends the process when a broker client meets a fatal error, whichever worker it serves', async () => {
    const inner = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const fatalErrors = new Subject<BrokerError>();
    const broker: Broker = {
      name: inner.name, admin: inner.admin, fatalErrors,
      producer: (o) => inner.producer(o), consumer: (o) => inner.consumer(o), readPartition: (tp, o) => inner.readPartition(tp, o),
      close: () => inner.close(),
    };
    const fatal: Error[] = [];
    const metrics = new Metrics();
    const engine = workersEngine({ apps: ['social'], transport: 'memory', dataDir: dir }, 2, {
      broker, producer: inner.producer(), clock: new SystemClock(), ids: nanoidSource, logger: silentLogger, metrics,
      onFatal: (e) => fatal.push(e),
    });
    try {
      await engine.start();
      const error = new BrokerError('fenced by a newer instance', { fatal: true });
      fatalErrors.next(error);
      expect(fatal).to.deep.equal([error]);
    } finally {
      await engine.stop();
      await inner.close();
    }
  });

  it('refuses another worker count on a data directory written with two, and keeps two when none is asked for', async () => {
    await start();
    await proc!.stop();
    proc = undefined;
    let refused: unknown;
    try {
      await start(3);
    } catch (e) {
      refused = e;
    }
    expect(refused).to.be.instanceOf(WorkerCountMismatch);
    expect((refused as Error).message).to.include('--workers 2');
    proc = await startProcess({ apps: ['social'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', workers: 3, workersExplicit: false });
    expect(proc.workers).to.equal(2);
  });
});

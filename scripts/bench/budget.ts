/**
 * The per-event budget of benchmark 1: where the host's time goes, in µs per event, step by step.
 *
 *   node --expose-gc --import tsx scripts/bench/budget.ts [--quick] [--no-bare]
 *
 * Runs benchmark 1's workload (hostBench.ts: 100k posts created, then 200k Zipf likes caught up by
 * a Runtime on the memory transport) with a timer around each step of the event path, and prints a
 * table: decode (JSON.parse + schema), actor step (XState), envelope (the output events built and
 * serialised), snapshot (persisted state serialised per touched actor), commit (the SQLite
 * transaction: snapshots, outbox rows, offsets), produce (the outbox sent), outbox delete; "other"
 * is the rest of the wall time (runner, memory transport, the host's own loop). A step's time holds
 * the garbage collections that landed in it; the GC line is their total, for scale. The timers cost
 * about 0.3 µs an event themselves. Bare XState `actor.send` on the same events is timed beside it.
 *
 * The steps are found by the names of the methods that do them (ActorHost's decode, deliver,
 * envelope and snapshotWrite; the stage store's commit and deleteOutbox; StageRunner's send): a
 * rename there must be followed here, or the step reads 0 and "other" grows.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { ActorHost } from '../../src/host/ActorHost.js';
import { StageRunner } from '../../src/host/StageRunner.js';
import type { BatchCommit } from '../../src/store/StateStore.js';
import { bareSendRate, hostSizes } from './hostBench.js';
import { now } from './measure.js';
import { RuntimeHarness } from './runtimeHarness.js';
import { likeEvents, postCreated, range, recordBatches } from './workload.js';

interface Step {
  readonly label: string;
  readonly owner: object;
  readonly method: string;
  ms: number;
}

let timing = false;

/** Wraps `owner[method]` to add the time of each call to `step.ms` while `timing` is on. */
function wrap(step: Step): void {
  const target = step.owner as Record<string, (...args: unknown[]) => unknown>;
  const original = target[step.method];
  if (typeof original !== 'function') throw new Error(`no method ${step.method} to time: budget.ts must follow the rename`);
  target[step.method] = function timed(this: unknown, ...args: unknown[]): unknown {
    if (!timing) return original.apply(this, args);
    const t = now();
    try {
      const out = original.apply(this, args);
      // An async step (produce) is timed until it settles.
      if (out instanceof Promise) return out.finally(() => (step.ms += now() - t));
      step.ms += now() - t;
      return out;
    } catch (e) {
      step.ms += now() - t;
      throw e;
    }
  };
}

export async function budget(quick: boolean, bare: boolean): Promise<string> {
  const sizes = hostSizes(quick);
  const likes = [...likeEvents(sizes)];
  // As in hostBench.ts: bare XState before and after the host run, the better one (against kastor).
  const bareBefore = bare ? bareSendRate(sizes, likes).wall : NaN;
  const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
  const harness = new RuntimeHarness({ broker, tag: `budget${process.pid}`, maxLiveActors: sizes.posts });
  await harness.prepare();
  const host = ActorHost.prototype;
  const storeProto = Object.getPrototypeOf(harness.store.stage(harness.stage)) as object;
  const steps: Step[] = [
    { label: 'decode (JSON.parse + schema)', owner: host, method: 'decode', ms: 0 },
    { label: 'actor step (XState)', owner: host, method: 'deliver', ms: 0 },
    { label: 'output envelopes', owner: host, method: 'envelope', ms: 0 },
    { label: 'snapshot (per touched actor)', owner: host, method: 'snapshotWrite', ms: 0 },
    { label: 'commit (SQLite transaction)', owner: storeProto, method: 'commit', ms: 0 },
    { label: 'produce (outbox sent)', owner: StageRunner.prototype, method: 'send', ms: 0 },
    { label: 'outbox delete', owner: storeProto, method: 'deleteOutbox', ms: 0 },
  ];
  for (const step of steps) wrap(step);
  // What the commits carry: snapshot and outbox bytes (JSON characters) per event.
  let snapshotChars = 0;
  let outboxChars = 0;
  let snapshotRows = 0;
  let outboxRows = 0;
  const storeCommit = (storeProto as Record<string, (batch: BatchCommit, ...rest: unknown[]) => unknown>).commit;
  (storeProto as Record<string, unknown>).commit = function counted(this: unknown, batch: BatchCommit, ...rest: unknown[]): unknown {
    if (timing) {
      for (const s of batch.snapshots) snapshotChars += s.snapshot.length + s.seen.length;
      for (const r of batch.outbox) outboxChars += r.value?.length ?? 0;
      snapshotRows += batch.snapshots.length;
      outboxRows += batch.outbox.length;
    }
    return storeCommit.call(this, batch, ...rest);
  };
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    if (timing) for (const e of list.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });

  await harness.start();
  const { posts, likes: likesTopic } = harness.topics;
  await harness.produce(recordBatches(posts.name, range(sizes.posts, postCreated)));
  await harness.caughtUp(posts.name, sizes.posts, 600_000);
  await harness.produceAll([...recordBatches(likesTopic.name, likes)]);
  const cpu0 = process.cpuUsage();
  const t0 = now();
  timing = true;
  await harness.caughtUp(likesTopic.name, sizes.likes, 1_800_000);
  timing = false;
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  gc.disconnect();
  await harness.stop();
  await harness.close();
  await broker.close();
  harness.remove();

  const perEvent = (ms: number) => (1000 * ms) / sizes.likes;
  const row = (label: string, us: number) => `| ${label} | ${us.toFixed(1)} | ${((100 * us) / perEvent(wallMs)).toFixed(0)} % |`;
  const timed = steps.reduce((sum, s) => sum + s.ms, 0);
  const lines = [
    `${sizes.likes} likes on ${sizes.posts} posts; ${Math.round(sizes.likes / (wallMs / 1000))} events/s, ` +
      `${perEvent((cpu.user + cpu.system) / 1000).toFixed(1)} µs of CPU per event (all threads)`,
    '',
    '| step | µs / event | share |',
    '|---|---|---|',
    ...steps.map((s) => row(s.label, perEvent(s.ms))),
    row('other (runner, transport, host loop)', perEvent(wallMs - timed)),
    row('**total (wall)**', perEvent(wallMs)),
    row('of which garbage collection (in the steps above)', perEvent(gcMs)),
  ];
  if (bare) {
    const best = Math.max(bareBefore, bareSendRate(sizes, likes).wall);
    lines.push(`| bare XState actor.send, same events (for scale) | ${(1e6 / best).toFixed(1)} | |`);
  }
  lines.push('', `per event: ${(snapshotRows / sizes.likes).toFixed(2)} snapshot rows (${Math.round(snapshotChars / sizes.likes)} chars), ` +
    `${(outboxRows / sizes.likes).toFixed(2)} outbox rows (${Math.round(outboxChars / sizes.likes)} chars)`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('budget.ts')) {
  const args = process.argv.slice(2);
  budget(args.includes('--quick'), !args.includes('--no-bare')).then(
    (table) => {
      console.log(table);
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exit(1);
    },
  );
}

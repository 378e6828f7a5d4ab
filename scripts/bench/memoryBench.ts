/**
 * Benchmark 3, memory: N distinct keys (one like each, so N post actors) through one host with
 * passivation (`maxLiveActors` 10 000), on the memory transport with a paced log (pacedLog.ts: the
 * process does not hold the input, as with Kafka). Peak RSS is the kernel's VmHWM of this process,
 * which runs with the heap limit of a deployment (bench.ts HEAP_FLAGS, `--max-old-space-size=384`:
 * an old generation sized to what is live, as scripts/deploy/ sets it). V8 otherwise sizes the
 * heap from the machine's memory (about 4 GiB on a 24 GiB box) and lets the garbage of a million
 * short-lived actors pile up between major collections: a third process runs the same keys so, for
 * the figure and the throughput it trades.
 *
 * Then, on the N snapshots this leaves, benchmark 4 (recoveryBench.ts): kill, restart, next record.
 *
 * Against what the same keys cost as live actors: a second process runs L keys through the same
 * host with passivation off, and measures RSS and heap after a full GC, before and after; the
 * per-actor cost times N, plus that process's baseline, is what N live actors would take.
 */
import { spawnSync } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { type BenchResult, memoryMiB, now, profiled, result, round, sleep, waitUntil } from './measure.js';
import { type LikerSet, likerCount } from '../../actors/social/likerSet.js';
import { changelogTopic } from '../../src/host/topology.js';
import { PacedLog } from './pacedLog.js';
import { restartAfterKill } from './recoveryBench.js';
import { RuntimeHarness } from './runtimeHarness.js';
import { PARTITIONS, type PostLikedEvent, postId, recordBatches } from './workload.js';

export const MAX_LIVE = 10_000;
const START = Date.parse('2025-06-01T12:00:00.000Z');

/** One like for each of `n` distinct posts (each its own actor). */
export function* distinctKeyLikes(n: number): Generator<PostLikedEvent> {
  for (let i = 0; i < n; i++) {
    const key = postId(i);
    yield { id: `k${i}`, type: 'post.liked', key, at: new Date(START + i).toISOString(), postId: key, userId: `user_${i % 99_991}` };
  }
}

export function memorySizes(quick: boolean): { keys: number; live: number } {
  if (process.env.BENCH_KEYS) return { keys: Number(process.env.BENCH_KEYS), live: Math.min(100_000, Number(process.env.BENCH_KEYS)) };
  return quick ? { keys: 20_000, live: 5_000 } : { keys: 1_000_000, live: 100_000 };
}

export interface PassResult {
  readonly peakMiB: number;
  readonly baselineMiB: number;
  readonly sampledPeakMiB: number;
  readonly endMiB: number;
  readonly heapAfterGcMiB: number;
  readonly rssAfterGcMiB: number;
  readonly snapshots: number;
  readonly liveNow: number;
  readonly elapsedMs: number;
  readonly heapLimitMiB: number;
}

/** N distinct keys through one host with passivation; the runtime is killed at the end, its state left. */
async function runPass(keys: number, changelogs = false) {
  const paced = new PacedLog();
  const tag = `mem${process.pid}`;
  const harness = new RuntimeHarness({ broker: paced.broker, tag, maxLiveActors: MAX_LIVE, retentionMs: 0, changelogs });
  const likes = harness.topics.likes.name;
  const baseline = memoryMiB().rss;
  let sampledPeak = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    sampledPeak = Math.max(sampledPeak, m.rss / 2 ** 20);
    if (process.env.BENCH_DEBUG) console.error(`rss ${Math.round(m.rss / 2 ** 20)} heap ${Math.round(m.heapUsed / 2 ** 20)}/${Math.round(m.heapTotal / 2 ** 20)} consumed ${harness.consumed(likes)}`);
  }, process.env.BENCH_DEBUG ? 2000 : 100);
  await harness.start();
  const t0 = now();
  await profiled('memory', async () => {
    await paced.feed(() => harness.store.db, harness.stage, likes, recordBatches(likes, distinctKeyLikes(keys), 5_000), 20_000);
    await harness.caughtUp(likes, keys, 3_600_000);
  });
  const elapsedMs = now() - t0;
  clearInterval(sampler);
  const mem = memoryMiB();
  // What is still referenced once the garbage is collected: the passivated keys must not be in it.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapAfterGcMiB = process.memoryUsage().heapUsed / 2 ** 20;
  const rssAfterGcMiB = memoryMiB().rss;
  const snapshots = (harness.store.db.prepare('SELECT count(*) AS n FROM kastor_snapshots WHERE stage = ?').get(harness.stage) as { n: number }).n;
  const liveNow = harness.runtime.host(`bench_${tag}`, 'post').liveActors;
  if (snapshots !== keys) throw new Error(`expected ${keys} snapshots, found ${snapshots}: records were lost`);
  await harness.kill();
  const result: PassResult = {
    peakMiB: mem.peak, baselineMiB: baseline, sampledPeakMiB: sampledPeak, endMiB: mem.rss, heapAfterGcMiB, rssAfterGcMiB,
    snapshots, liveNow, elapsedMs, heapLimitMiB: getHeapStatistics().heap_size_limit / 2 ** 20,
  };
  return { result, paced, harness, tag };
}

/** In its own process: the pass alone, cleaned up after (for a run under other V8 flags). */
export async function memoryPass(keys: number): Promise<PassResult> {
  const { result, paced, harness } = await runPass(keys);
  await harness.close();
  await paced.broker.close();
  harness.remove();
  return result;
}

export async function memoryBench(quick: boolean): Promise<BenchResult> {
  const { keys, live } = memorySizes(quick);
  const out = result('memory', `Memory and recovery: ${keys} distinct keys through one host, maxLiveActors ${MAX_LIVE}`);
  const { result: pass, paced, harness, tag } = await runPass(keys);
  const mem = { peak: pass.peakMiB, rss: pass.endMiB };
  const { baselineMiB: baseline, sampledPeakMiB: sampledPeak, heapAfterGcMiB: heapAfterGc, rssAfterGcMiB: rssAfterGc, snapshots, liveNow, elapsedMs: elapsed } = pass;

  const cost = liveActorCost(live);
  const liveEstimate = cost.baselineMiB + (cost.perActorKiB * keys) / 1024;
  const defaultHeap = defaultHeapPass(keys);
  out.figures.push(
    { label: `peak RSS (VmHWM), ${keys} keys, ${MAX_LIVE} live at most, V8 heap limit ${Math.round(pass.heapLimitMiB)} MiB (as deployed)`, value: Math.round(mem.peak), unit: 'MiB' },
    { label: `the same under V8's default heap limit here (${Math.round(defaultHeap.heapLimitMiB)} MiB): peak RSS / throughput`, value: Math.round(defaultHeap.peakMiB), unit: `MiB / ${Math.round(keys / (defaultHeap.elapsedMs / 1000))} events/s` },
    { label: 'RSS before the runtime started / sampled peak (100 ms) / at the end', value: Math.round(baseline), unit: `MiB / ${Math.round(sampledPeak)} / ${Math.round(mem.rss)}` },
    { label: 'heap in use / RSS after a full GC at the end (the rest of the peak was garbage)', value: Math.round(heapAfterGc), unit: `MiB / ${Math.round(rssAfterGc)} MiB` },
    { label: 'snapshots stored / actors live at the end', value: snapshots, unit: `/ ${liveNow}` },
    { label: 'throughput, every key new (create actor, snapshot, passivate)', value: Math.round(keys / (elapsed / 1000)), unit: 'events/s' },
    { label: `a live actor costs (RSS / heap; ${live} live, after full GC)`, value: round(cost.perActorKiB, 2), unit: `KiB / ${round(cost.perActorHeapKiB, 2)} KiB` },
    { label: `${keys} keys as live actors (extrapolated: ${Math.round(cost.baselineMiB)} MiB + ${keys} × per actor)`, value: Math.round(liveEstimate), unit: 'MiB' },
  );
  out.ratios.push(
    { label: `peak RSS with passivation, ${keys} keys (MiB, target ≤ 512)`, value: Math.round(mem.peak), max: 512 },
    { label: 'peak RSS with passivation / as live actors', value: round(mem.peak / liveEstimate, 3) },
  );
  out.notes.push(`paced log: at most 20 000 records ahead of the host, consumed chunks dropped; ${round(paced.produceMs / 1000)} s of the run was producing.`);

  const recovery = { broker: paced.broker, tag, dir: harness.dir, keys, maxLiveActors: MAX_LIVE, replayMs: elapsed };
  await restartAfterKill(recovery, out);
  const cl = inChild<ChangelogRecovery>('memory-changelog', keys, 'CHANGELOG');
  out.figures.push(
    { label: `with changelogs on: ${keys} keys through the host, each state also produced to the changelog`, value: Math.round(keys / (cl.passMs / 1000)), unit: `events/s (${cl.changelogRecords} changelog records)` },
    { label: `restore from the changelog into a fresh SQLite: ${keys} actors, until ready (every partition)`, value: round(cl.readyMs / 1000, 2), unit: `s (${Math.round(keys / (cl.readyMs / 1000))} actors/s)` },
    { label: 'restore from the changelog: until the next record is committed', value: round(cl.nextRecordMs / 1000, 2), unit: 's' },
  );
  out.ratios.push({ label: 'restore: replaying the input from 0 / restoring from the changelog (same N)', value: round(elapsed / cl.readyMs, 2) });
  await harness.close();
  await paced.broker.close();
  harness.remove();
  return out;
}

interface LiveCost {
  readonly baselineMiB: number;
  readonly perActorKiB: number;
  readonly perActorHeapKiB: number;
}

/** Runs `memoryPass` in a fresh process with V8's default heap limit and reads its answer. */
function defaultHeapPass(keys: number): PassResult {
  return inChild<PassResult>('memory-default-heap', keys, 'DEFAULT_HEAP');
}

/** Runs a child mode of child.ts (V8's default heap, --expose-gc) and reads its `<TAG> {json}` line. */
function inChild<T>(mode: string, keys: number, tag: string): T {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, mode, String(keys)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = new RegExp(`${tag} (\\{.*\\})`).exec(run.stdout ?? '');
  if (run.status !== 0 || !line) throw new Error(`${mode} failed (exit ${run.status}): ${run.stdout}`);
  return JSON.parse(line[1]) as T;
}

export interface ChangelogRecovery {
  readonly passMs: number;
  readonly changelogRecords: number;
  readonly readyMs: number;
  readonly nextRecordMs: number;
}

/**
 * In its own process (the memory broker then holds the whole changelog, which the deployed heap
 * limit is not sized for): N keys through a host with changelogs on; then the disk is lost and a
 * runtime with changelogs on starts over a fresh SQLite file on the same broker. Timed until it is
 * ready (every partition restored: N snapshots read from the topic and written) and until it has
 * committed the next record, for a key whose state came from the changelog.
 */
export async function changelogRecovery(keys: number): Promise<ChangelogRecovery> {
  const { result: pass, paced, harness: first, tag } = await runPass(keys, true);
  const fresh = new RuntimeHarness({ broker: paced.broker, tag, maxLiveActors: MAX_LIVE, retentionMs: 0, changelogs: true });
  await fresh.prepare();
  const changelog = changelogTopic(`bench_${tag}`, fresh.runtime.apps[0].entities[0]).name;
  let changelogRecords = 0;
  for (let partition = 0; partition < PARTITIONS; partition++) changelogRecords += paced.broker.read({ topic: changelog, partition }).length;
  const likes = fresh.topics.likes.name;
  const t0 = now();
  await fresh.start();
  await waitUntil(() => fresh.runtime.ready, 'every partition to be restored from the changelog', 1_800_000, 5);
  const readyMs = now() - t0;
  const restored = (fresh.store.db.prepare('SELECT count(*) AS n FROM kastor_snapshots WHERE stage = ?').get(fresh.stage) as { n: number }).n;
  if (restored !== keys) throw new Error(`restored ${restored} snapshots from the changelog, expected ${keys}`);
  const key = postId(Math.floor(keys / 2) + 7);
  const before = fresh.consumed(likes);
  await fresh.producer.send([{ topic: likes, key, value: JSON.stringify({ id: 'probe-cl', type: 'post.liked', key, at: '2025-06-01T13:00:00.000Z', postId: key, userId: 'user_probe_cl' }) }]);
  await waitUntil(() => fresh.consumed(likes) > before, `the probe record for ${key}`, 60_000, 1);
  const nextRecordMs = now() - t0;
  const snapshot = fresh.runtime.host(`bench_${tag}`, 'post').snapshotOf(key) as { context: { likers: LikerSet } };
  if (likerCount(snapshot.context.likers) !== 2) throw new Error(`the probed actor has ${likerCount(snapshot.context.likers)} likers after the restore, expected 2`);
  await fresh.stop();
  await fresh.close();
  await first.close();
  await paced.broker.close();
  first.remove();
  fresh.remove();
  return { passMs: pass.elapsedMs, changelogRecords, readyMs, nextRecordMs };
}

/** Runs `memoryLive` in a fresh process (with --expose-gc) and reads its answer. */
function liveActorCost(live: number): LiveCost {
  return inChild<LiveCost>('memory-live', live, 'LIVE_COST');
}

/** In its own process: `live` keys through the host with passivation off. */
export async function memoryLive(live: number): Promise<LiveCost> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
  const harness = new RuntimeHarness({ broker, tag: `live${process.pid}`, maxLiveActors: live + 1 });
  // The records are in the log before the first reading and the runtime starts after it, so that
  // the difference is the actors (and what the host keeps for them).
  await harness.prepare();
  await harness.produceAll(recordBatches(harness.topics.likes.name, distinctKeyLikes(live), 5_000));
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(50);
    }
    return { rss: memoryMiB().rss, heap: process.memoryUsage().heapUsed / 2 ** 20 };
  };
  const before = await settle();
  await harness.start();
  await harness.caughtUp(harness.topics.likes.name, live, 3_600_000);
  const after = await settle();
  const liveNow = harness.runtime.host(`bench_live${process.pid}`, 'post').liveActors;
  if (liveNow !== live) throw new Error(`expected ${live} live actors, found ${liveNow}`);
  await harness.stop();
  await harness.close();
  await broker.close();
  harness.remove();
  return {
    baselineMiB: before.rss,
    perActorKiB: ((after.rss - before.rss) * 1024) / live,
    perActorHeapKiB: ((after.heap - before.heap) * 1024) / live,
  };
}

/**
 * Benchmark 5, end-to-end latency: from the HTTP request (`POST /social/posts/:id/likes`) to the
 * read model showing the change, in a child process running what `kastor run social` runs
 * (socialServer.ts: same runtime, app, routes and read model): memory transport (journalled, as
 * `kastor run`; in full mode also without the journal) and kafka. An open-loop load of likes on
 * Zipf-popular posts runs at a steady offered rate; meanwhile probes (a tenth of the rate, 10–50/s,
 * on their own connections) like a fresh post each, and a poller reads the server's SQLite read
 * model (a read-only connection, every 2 ms) until the probe's post shows one like. The highest
 * rate of the ladder that the box sustains is the one reported: all requests answered 2xx at
 * ≥ 95 % of the offered rate, every probe seen, and nothing queueing (probe and response p99
 * under 250 ms).
 *
 * Its topics and groups are under a prefix of their own (PrefixedBroker.ts), so that the shared
 * Kafka broker's `tracking.social.*` are not touched; the server deletes its topics on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { unionReadConnection } from '../../adapters/sqlite/unionReadConnection.js';
import { workerStateFiles } from '../../src/cli/workers/layout.js';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { loadKeyRing } from '../../src/http/auth/index.js';
import { seededRandom } from '../../src/ids/IdSource.js';
import { HttpClient, type LoadReport, openLoop } from './httpLoad.js';
import { KAFKA_BROKERS, brokerWatchdog } from './kafkaBench.js';
import { type BenchResult, now, percentile, profiled, result, round, sleep, waitUntil } from './measure.js';
import { zipf } from './workload.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HOT_POSTS = 1_000;
/** A rate is steady when nothing queues: probes and responses under this at p99. */
const STEADY_P99_MS = 250;

interface Trial {
  readonly rate: number;
  readonly load: LoadReport;
  readonly probeMs: number[];
  readonly lost: number;
  readonly steady: boolean;
  /** The server's CPU time (all threads) per request answered during the trial: what caps the rate. */
  readonly serverCpuMs: number;
}

/** The rate the latency targets are set at (BENCHMARKS.md, benchmark 5). */
const TARGET_RATE = 10_000;

export async function latencyBench(quick: boolean): Promise<BenchResult> {
  const out = result('latency', 'Latency: HTTP accept → read model, kastor run social');
  // BENCH_LADDER=20,10 tries other rates (e.g. to see the latency floor).
  const ladder = process.env.BENCH_LADDER ? process.env.BENCH_LADDER.split(',').map(Number) : quick ? [100] : [10_000, 5_000, 2_000, 1_000, 500, 300, 200, 100, 50, 20];
  const seconds = quick ? 4 : 8;
  const targets = { memory: 20, 'memory-volatile': 20, 'memory-workers': 20, kafka: 100 };
  // BENCH_TRANSPORTS=memory runs one transport (e.g. for interleaved A/B runs of a change).
  const all = quick ? (['memory', 'memory-workers', 'kafka'] as const) : (['memory', 'memory-volatile', 'memory-workers', 'kafka'] as const);
  const picked = process.env.BENCH_TRANSPORTS?.split(',');
  const transports = picked ? all.filter((t) => picked.includes(t)) : all;
  for (const transport of transports) {
    let trials: Trial[];
    const abort = new AbortController();
    const stopWatchdog = transport === 'kafka' ? brokerWatchdog(() => abort.abort()) : () => undefined;
    try {
      // With --profile: the load generator's own cost (it shares the cores with the server).
      trials = await profiled(`latency-load-${transport}`, () => runServer(transport, ladder, seconds, quick, abort.signal));
    } catch (e) {
      out.notes.push(`${transport}: the run failed: ${(e as Error).message}`);
      out.ratios.push({ label: `${transport}: p99 HTTP → read model (ms, target ≤ ${targets[transport]}) — run failed`, value: NaN, max: targets[transport] });
      continue;
    } finally {
      stopWatchdog();
    }
    {
      const best = trials.find((t) => t.steady) ?? trials[trials.length - 1];
      for (const t of trials) {
        out.figures.push({
          label: `${transport}: offered ${t.rate}/s → answered`,
          value: Math.round(t.load.achieved),
          unit: `/s, ${t.load.failed} failed, probes p50 ${round(percentile(t.probeMs, 50), 1)} / p99 ${round(percentile(t.probeMs, 99), 1)} ms, ${t.lost} lost, server CPU ${round(t.serverCpuMs, 2)} ms a request${t.steady ? ' (steady)' : ''}`,
        });
      }
      out.figures.push(
        { label: `${transport}: at ${best.rate}/s${best.steady ? '' : ' (NOT steady)'}, HTTP → read model p50`, value: round(percentile(best.probeMs, 50), 1), unit: 'ms' },
        { label: `${transport}: at ${best.rate}/s, HTTP → read model p99`, value: round(percentile(best.probeMs, 99), 1), unit: `ms (${best.probeMs.length} probes)` },
        { label: `${transport}: at ${best.rate}/s, HTTP response p50 / p99`, value: round(percentile(best.load.responseMs, 50), 1), unit: `/ ${round(percentile(best.load.responseMs, 99), 1)} ms` },
      );
      // The target is a p99 at a steady 10k/s: a p99 at a lower rate is context, not the verdict.
      const atTarget = best.steady && best.rate >= TARGET_RATE;
      out.ratios.push({
        label: `${transport}: p99 HTTP → read model at ${best.rate}/s (ms; target ≤ ${targets[transport]} at a steady ${TARGET_RATE}/s)`,
        value: round(percentile(best.probeMs, 99), 1),
        ...(atTarget ? { max: targets[transport] } : {}),
      });
      out.ratios.push({ label: `${transport}: steady rate reached / ${TARGET_RATE}/s`, value: round((best.steady ? best.rate : 0) / TARGET_RATE, 2), min: 1 });
      if (!best.steady) out.notes.push(`${transport}: no rate of ${ladder.join(', ')}/s was steady on this box; the lowest is reported.`);
    }
  }
  out.notes.push(`Steady = ≥ 95 % of the offered rate answered 2xx, every probe seen, probe and response p99 < ${STEADY_P99_MS} ms (nothing queues). Load: likes on ${quick ? 200 : HOT_POSTS} Zipf-popular posts (after a warm-up at the lowest rate), each by a new user; probes at a tenth of the rate (10–50/s); poll quantum 2 ms; load generator and server share the 2 cores.`);
  return out;
}

async function runServer(transport: 'memory' | 'memory-volatile' | 'memory-workers' | 'kafka', ladder: readonly number[], seconds: number, quick: boolean, aborted: AbortSignal): Promise<Trial[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kastor-bench-latency-'));
  const port = await freePort();
  const logFile = join(dir, 'server.log');
  const log = openSync(logFile, 'w');
  mkdirSync(join(dir, 'data'));
  // The key the server verifies with, as `kastor run` has it: made here under its data directory, loaded by the server.
  const keys = await loadKeyRing({ dataDir: join(dir, 'data') });
  const prefix = `kbench${process.pid}${transport}.`;
  const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench/socialServer.ts'), transport, join(dir, 'data'), String(port),
    prefix, KAFKA_BROKERS], { stdio: ['ignore', log, log], env: { ...process.env, UV_THREADPOOL_SIZE: '16' } });
  const exited = new Promise<number | null>((r) => server.on('exit', (code) => r(code)));
  // The broker went away: stop the server, so that every wait on it fails at once.
  aborted.addEventListener('abort', () => killHard(server));
  const client = new HttpClient(port, keys);
  const probeClient = new HttpClient(port, keys);
  try {
    await waitUntil(async () => (await client.call('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, 'the server to be ready', 120_000, 100);
    console.error(`[bench] latency ${transport}: creating posts`);
    // The read model as the routes read it: one file, or the union of the two workers' files.
    const db = transport === 'memory-workers'
      ? unionReadConnection(workerStateFiles(join(dir, 'data'), 2))
      : new Database(join(dir, 'data', 'state.db'), { readonly: true, fileMustExist: true });
    const present = db.prepare('SELECT count(*) AS n FROM social_posts WHERE post_id IN (SELECT value FROM json_each(?))');
    const visible = (ids: string[]) => waitUntil(() => (present.get(JSON.stringify(ids)) as { n: number }).n === ids.length, 'the posts in the read model', 300_000, 50);
    const hot = await createPosts(client, quick ? 200 : HOT_POSTS);
    await visible(hot);
    const probes: string[] = [];
    let probeCursor = 0;
    /** Fresh probe posts, created (and visible) before a trial needs them. */
    const ensureProbes = async (n: number) => {
      if (probes.length - probeCursor >= n) return;
      const more = await createPosts(client, n - (probes.length - probeCursor) + 20);
      await visible(more);
      probes.push(...more);
    };

    const random = seededRandom(11);
    const draw = zipf(hot.length, random);
    const trials: Trial[] = [];
    let user = 0;
    const like = () => {
      const sub = `u${user++}`;
      return { method: 'POST', path: `/social/posts/${hot[draw()]}/likes`, body: { userId: sub }, as: { sub, role: 'user' as const } };
    };
    // Warm-up, not measured: JIT, SQLite caches, the set-up's tail through trending and read model.
    await openLoop(client, ladder[ladder.length - 1], quick ? 2 : 5, like);
    for (let step = 0; step < ladder.length;) {
      const rate = ladder[step];
      const probeRate = probesPerSecond(rate);
      await ensureProbes(Math.round(probeRate * seconds) + 1);
      console.error(`[bench] latency ${transport}: ${rate}/s for ${seconds} s`);
      const cpuBefore = cpuMsOf(server.pid!);
      const probing = probe(db, probeClient, probes, probeCursor, probeRate, seconds);
      const load = await openLoop(client, rate, seconds, like);
      const { latencies, sent, lost } = await probing;
      // Until the last probe is seen, so that the work queued behind the requests is counted too.
      const serverCpuMs = (cpuMsOf(server.pid!) - cpuBefore) / (load.completed + sent);
      probeCursor += sent;
      const steady = load.failed === 0 && load.achieved >= 0.95 * rate && lost === 0 &&
        percentile(latencies, 99) < STEADY_P99_MS && percentile(load.responseMs, 99) < STEADY_P99_MS;
      trials.push({ rate, load, probeMs: latencies, lost, steady, serverCpuMs });
      if (steady || quick) break;
      // Let the backlog of an unsustained rate drain, then go on below what was answered.
      await ensureProbes(1);
      const sentinel = await probe(db, probeClient, probes, probeCursor, 1, 1, 180_000);
      probeCursor += sentinel.sent;
      const below = ladder.findIndex((r) => r <= 0.9 * load.achieved);
      step = below > step ? below : step + 1;
    }
    db.close();
    return trials;
  } catch (e) {
    console.error(readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n'));
    throw e;
  } finally {
    client.close();
    probeClient.close();
    server.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') killHard(server);
    // The server deletes its topics on SIGTERM; if it could not (killed, broker away), try here.
    if (transport === 'kafka' && code !== 0) await deletePrefixed(prefix);
    closeSync(log);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A tenth of the load, 10 to 50 a second: enough for a p99, not a load of their own. */
const probesPerSecond = (rate: number) => Math.min(50, Math.max(10, rate / 10));

/** Likes fresh probe posts at `perSecond` and times each until the read model shows it. */
async function probe(db: Database.Database, client: HttpClient, posts: readonly string[], from: number, perSecond: number, seconds: number, waitMs = 30_000) {
  const count = Math.max(1, Math.round(seconds * perSecond));
  const read = db.prepare('SELECT post_id FROM social_posts WHERE likes > 0 AND post_id IN (SELECT value FROM json_each(?))').pluck();
  const outstanding = new Map<string, number>();
  const latencies: number[] = [];
  let sent = 0;
  let done = false;
  let deadline = Infinity;
  const poller = (async () => {
    while (!done || outstanding.size > 0) {
      if (outstanding.size > 0) {
        const seenAt = now();
        for (const id of read.all(JSON.stringify([...outstanding.keys()])) as string[]) {
          latencies.push(seenAt - outstanding.get(id)!);
          outstanding.delete(id);
        }
      }
      if (done && now() > deadline) break;
      await sleep(2);
    }
  })();
  const t0 = now();
  while (sent < count) {
    const due = t0 + (sent * 1000) / perSecond;
    if (now() < due) {
      await sleep(Math.max(1, due - now()));
      continue;
    }
    const post = posts[from + sent++];
    outstanding.set(post, now());
    // One prober per like: a single subject at 50/s would meet the per-user write limit.
    const prober = `prober_${from + sent}`;
    void client.call('POST', `/social/posts/${post}/likes`, { userId: prober }, { sub: prober, role: 'user' });
  }
  deadline = now() + waitMs;
  done = true;
  await poller;
  return { latencies: latencies.sort((a, b) => a - b), sent, lost: outstanding.size };
}

async function createPosts(client: HttpClient, n: number): Promise<string[]> {
  const ids: string[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const author = `author_${i % 500}`;
      const res = await client.call('POST', '/social/posts', { userId: author, text: `bench post ${i}` }, { sub: author, role: 'user' });
      if (res.status !== 202) throw new Error(`POST /social/posts answered ${res.status}: ${JSON.stringify(res.body)}`);
      ids[i] = (res.body as { postId: string }).postId;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return ids;
}

async function deletePrefixed(prefix: string): Promise<void> {
  const broker = new KafkaBroker({ brokers: KAFKA_BROKERS, clientId: 'kastor-bench-cleanup', logger: { error: () => undefined, warn: () => undefined, info: () => undefined } });
  try {
    const left = (await broker.admin.listTopics()).map((t) => t.name).filter((n) => n.startsWith(prefix));
    await broker.admin.deleteTopics(left);
  } catch (e) {
    console.error(`[bench] could not delete the topics under ${prefix}: ${(e as Error).message}`);
  } finally {
    await broker.close();
  }
}

/** User + system CPU time of a process and all its threads so far, from /proc (Linux). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux that Node supports. */
const CLOCK_TICKS = 100;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

function killHard(child: ChildProcess): void {
  if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
}

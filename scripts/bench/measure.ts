/**
 * Measuring helpers shared by the benchmarks: what a result looks like (figures, and ratios against
 * a peer measured in the same run), bounded polling, memory readings from /proc, and the queries
 * that say when a stage has caught up (its offsets in SQLite, its outbox empty).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';

export interface Figure {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

export interface Ratio {
  readonly label: string;
  readonly value: number;
  /** Met when value >= min (or <= max). */
  readonly min?: number;
  readonly max?: number;
  readonly aim?: number;
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly figures: Figure[];
  readonly ratios: Ratio[];
  readonly notes: string[];
}

export function result(name: string, title: string): BenchResult {
  return { name, title, figures: [], ratios: [], notes: [] };
}

export const met = (r: Ratio): boolean => (r.min === undefined || r.value >= r.min) && (r.max === undefined || r.value <= r.max);

export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every `pollMs` until it holds; throws after `timeoutMs` saying what was awaited. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number, pollMs = 10): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Resident set size now, and its peak (VmHWM) over the life of the process, in MiB. */
export function memoryMiB(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** Records a stage has stored offsets for on a topic (the sum of next offsets). */
export function storedOffsets(db: Database.Database, stage: string, topic: string): number {
  const row = db.prepare('SELECT coalesce(sum(next_offset), 0) AS n FROM kastor_offsets WHERE stage = ? AND topic = ?').get(stage, topic) as { n: number };
  return row.n;
}

export function pendingOutbox(db: Database.Database, stage: string): number {
  return (db.prepare('SELECT count(*) AS n FROM kastor_outbox WHERE stage = ?').get(stage) as { n: number }).n;
}

/** Caught up: every one of `records` stored as consumed, and the outbox produced. */
export function caughtUp(db: Database.Database, stage: string, topic: string, records: number): boolean {
  return storedOffsets(db, stage, topic) >= records && pendingOutbox(db, stage) === 0;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

/**
 * With BENCH_PROFILE=<dir>, a V8 CPU profile of just the measured section (not the set-up, not the
 * peers) is written to <dir>/<name>.cpuprofile. With BENCH_HEAP_PROFILE=<dir>, a sampling heap
 * profile that counts the objects the garbage collector took as well (what a section allocates,
 * not what it keeps) goes to <dir>/<name>.heapprofile. Otherwise `fn` simply runs. Summarise
 * either with scripts/bench/profileSummary.ts.
 */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const heapDir = process.env.BENCH_HEAP_PROFILE;
  if (heapDir) {
    return inspected(join(heapDir, `${name}.heapprofile`), fn, async (session) => {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 16_384,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      } as object);
    }, async (session) => (await session.post('HeapProfiler.stopSampling')).profile);
  }
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return fn();
  return inspected(join(dir, `${name}.cpuprofile`), fn, async (session) => {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }, async (session) => (await session.post('Profiler.stop')).profile);
}

/** Runs `fn` between `begin` and `end` on an inspector session, and writes what `end` returns. */
async function inspected<T>(file: string, fn: () => Promise<T>, begin: (s: Session) => Promise<void>, end: (s: Session) => Promise<object>): Promise<T> {
  const session = new Session();
  session.connect();
  await begin(session);
  try {
    return await fn();
  } finally {
    const profile = await end(session);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

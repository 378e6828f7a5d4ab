/**
 * A seed sweep: one simulation per seed, `jobs` at a time, each in a child process of the real CLI
 * (`node bin/kastor.mjs simulate <apps> --seed N ... --json`). A child is the simplest honest
 * choice: every seed runs exactly as a lone `kastor simulate --seed N` does (fresh process, fresh
 * module state, same digest), a child that crashes or runs out of heap fails its seed alone, and
 * the command printed for a failing seed is the command that ran, minus `--json`.
 *
 * Results stream back through `onSeed` as each seed finishes (in finishing order); the report
 * lists them by seed. With `failFast` the first failure stops the sweep: children still running
 * are killed and seeds not yet started are skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { FAULT_KINDS, type FaultKind } from './FaultyBroker.js';
import type { SimReport } from './Simulation.js';
import type { SimSizes } from './traffic.js';

const BIN = fileURLToPath(new URL('../../bin/kastor.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SweepOptions {
  /** Application names as `kastor simulate` takes them (empty or `all`: every application). */
  readonly apps: readonly string[];
  readonly seeds: readonly number[];
  readonly durationMs: number;
  readonly faults: readonly FaultKind[];
  readonly sizes: SimSizes;
  /** Parallel children (default: the number of cores). */
  readonly jobs?: number;
  /** Stop at the first failing seed (default: run every seed and report each failure). */
  readonly failFast?: boolean;
  /**
   * Modules each child loads first with `node --import` (paths relative to the repository root),
   * e.g. a spec's injected bug. They appear in the reproduce command, since the seed alone would
   * not reproduce a run that had them.
   */
  readonly imports?: readonly string[];
  /** Called as each seed finishes. */
  readonly onSeed?: (result: SeedResult) => void;
}

export interface SeedResult {
  readonly seed: number;
  readonly ok: boolean;
  /** The command that reproduces this seed's run, from the repository root. */
  readonly command: string;
  /** The child's report; absent when the child died without one (see `error`). */
  readonly report?: SimReport;
  /** Why a child without a report failed: its exit code or signal and the end of its stderr. */
  readonly error?: string;
}

/**
 * What a sweep found. Each result carries the child's whole SimReport, so an aggregate over the
 * seeds (e.g. statechart coverage) can be added beside these fields from `results`.
 */
export interface SweepReport {
  readonly seedsRequested: number;
  /** Every seed that finished, by seed. */
  readonly results: readonly SeedResult[];
  readonly failed: readonly SeedResult[];
  /** Whether `failFast` stopped the sweep before every seed ran. */
  readonly stopped: boolean;
  readonly eventsProcessed: number;
  readonly simulatedMsPerSeed: number;
  readonly jobs: number;
  readonly wallMs: number;
  readonly seedsPerMinute: number;
}

export async function sweep(options: SweepOptions): Promise<SweepReport> {
  const wallStart = performance.now();
  const jobs = Math.max(1, options.jobs ?? availableParallelism());
  const pending = [...options.seeds];
  const running = new Set<ChildProcess>();
  const results: SeedResult[] = [];
  let stopped = false;

  const worker = async (): Promise<void> => {
    while (!stopped && pending.length > 0) {
      const seed = pending.shift()!;
      const result = await runSeed(seed, options, running);
      if (stopped) return; // killed by fail-fast: not a result of its own
      results.push(result);
      options.onSeed?.(result);
      if (!result.ok && options.failFast) {
        stopped = pending.length > 0 || running.size > 0;
        for (const child of running) child.kill();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, options.seeds.length) }, worker));

  results.sort((a, b) => a.seed - b.seed);
  const wallMs = performance.now() - wallStart;
  return {
    seedsRequested: options.seeds.length,
    results,
    failed: results.filter((r) => !r.ok),
    stopped,
    eventsProcessed: results.reduce((n, r) => n + (r.report?.eventsProcessed ?? 0), 0),
    simulatedMsPerSeed: options.durationMs,
    jobs,
    wallMs,
    seedsPerMinute: wallMs > 0 ? (results.length * 60_000) / wallMs : 0,
  };
}

/** The `simulate` arguments of one seed, as a user would type them. */
export function simulateArgs(options: SweepOptions, seed: number): string[] {
  const apps = options.apps.length === 0 ? ['all'] : [...options.apps];
  return [
    'simulate', ...apps,
    '--seed', String(seed),
    '--duration', formatDuration(options.durationMs),
    '--faults', formatFaults(options.faults),
    '--users', String(options.sizes.users),
    '--rate', String(options.sizes.rate),
  ];
}

export function reproduceCommand(options: SweepOptions, seed: number): string {
  const args = simulateArgs(options, seed).join(' ');
  const imports = options.imports ?? [];
  if (imports.length === 0) return `npx kastor ${args}`;
  // npx would not load the modules; node with tsx first (they are TypeScript) does.
  return `node --import tsx ${imports.map((m) => `--import ${m}`).join(' ')} bin/kastor.mjs ${args}`;
}

/** The shortest exact form `--duration` reads back (parseDuration in src/cli/simulateCommand.ts). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function formatFaults(faults: readonly FaultKind[]): string {
  if (faults.length === 0) return 'none';
  if (FAULT_KINDS.every((k) => faults.includes(k))) return 'all';
  return faults.join(',');
}

function runSeed(seed: number, options: SweepOptions, running: Set<ChildProcess>): Promise<SeedResult> {
  const command = reproduceCommand(options, seed);
  const imports = options.imports ?? [];
  const nodeArgs = [...(imports.length > 0 ? ['--import', 'tsx'] : []), ...imports.flatMap((m) => ['--import', m])];
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...simulateArgs(options, seed), '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((resolve) => {
    child.on('error', (e) => {
      running.delete(child);
      resolve({ seed, ok: false, command, error: `could not start: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      const report = parseReport(stdout);
      if (report && (code === 0 || code === 1)) return resolve({ seed, ok: report.ok && code === 0, command, report });
      const tail = stderr.trim().split('\n').slice(-5).join('\n');
      resolve({ seed, ok: false, command, error: `${signal ? `killed by ${signal}` : `exit ${code}`}${tail ? `: ${tail}` : ''}` });
    });
  });
}

function parseReport(stdout: string): SimReport | undefined {
  try {
    const value = JSON.parse(stdout) as SimReport;
    return typeof value === 'object' && value !== null && typeof value.digest === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `kastor simulate <app|all> --seed N --duration 1h [--faults crash,drop,...]`: runs the seeded
 * simulation of src/sim on the in-memory log and an in-memory SQLite database, prints the report
 * and the digest. Exit code 1 when an invariant failed: the seed alone reproduces the run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AppContext, AppSimulation } from '../apps/AppModule.js';
import { resolveApps } from '../apps/index.js';
import { silentLogger } from '../log/Logger.js';
import { type FaultKind, FAULT_KINDS } from '../sim/FaultyBroker.js';
import { type MachineCoverage, aggregateCoverage } from '../sim/coverage.js';
import { type SimReport, simulate } from '../sim/Simulation.js';
import type { SeedResult, SweepReport } from '../sim/sweep.js';
import type { SimSizes } from '../sim/traffic.js';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { type SqliteDatabase, SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';

export interface SimulateOptions {
  readonly apps: readonly string[];
  readonly seed: number;
  readonly durationMs: number;
  readonly faults: readonly FaultKind[];
  readonly sizes: SimSizes;
  readonly tickMs?: number;
  readonly maxLiveActors?: number;
  /** See SimulationOptions.skipIdleTicks. */
  readonly skipIdleTicks?: boolean;
  /** Settings over each module's simulation environment (e.g. a shorter dislike delay in a spec). */
  readonly env?: Readonly<Record<string, string>>;
  /** Runs before the checks, on the state database (specs tamper with it to see a check fail). */
  readonly beforeChecks?: (db: SqliteDatabase) => void;
}

/**
 * Each application is built from its module as `kastor run` builds it (`host`), on the simulation's
 * clock, ids, faulty broker and edge producer, an in-memory state database and a scratch data
 * directory (sink files, source databases; removed at the end), then given its traffic (`simulate`).
 */
export async function runSimulation(options: SimulateOptions): Promise<SimReport> {
  const modules = resolveApps(options.apps);
  const db = new Database(':memory:');
  const store = new SqliteStateStore(db);
  const dataDir = mkdtempSync(join(scratchRoot(), 'kastor-sim-'));
  const tickMs = options.tickMs ?? 1_000;
  const simulations: AppSimulation[] = [];
  try {
    return await simulate({
      seed: options.seed,
      durationMs: options.durationMs,
      tickMs,
      faults: options.faults,
      store,
      maxLiveActors: options.maxLiveActors,
      skipIdleTicks: options.skipIdleTicks,
      beforeChecks: options.beforeChecks && (() => options.beforeChecks!(db)),
      makeBroker: (clock, schedule) => new MemoryBroker({ clock, schedule, maintenanceIntervalMs: 0, closeTimeoutMs: 0 }),
      apps: (env) => modules.map((module) => {
        const app: AppContext = {
          db, readDb: db, dataDir, transport: 'memory', broker: env.broker, producer: env.producer,
          clock: env.clock, ids: env.ids, logger: silentLogger, metrics: env.metrics, env: { ...module.simulationEnv, ...options.env },
        };
        const hosted = module.host(app);
        const simulation = module.simulate(hosted, { ...env, sizes: options.sizes, tickMs, app });
        simulations.push(simulation);
        return { ...simulation, definition: hosted.definition, routes: hosted.routes, background: hosted.background };
      }),
      readModels: () => simulations.map((s) => s.readModels()).join('\n'),
    });
  } finally {
    db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A RAM-backed directory where there is one: sink files are written at every commit. */
function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`duration '${text}' is not like 30s, 15m, 1h or 1d`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

export function parseFaults(text: string | undefined): FaultKind[] {
  if (!text || text === 'none') return [];
  if (text === 'all') return [...FAULT_KINDS];
  const kinds = text.split(',').map((s) => s.trim());
  for (const k of kinds) if (!FAULT_KINDS.includes(k as FaultKind)) throw new Error(`unknown fault '${k}' (${FAULT_KINDS.join(', ')}, all, none)`);
  return kinds as FaultKind[];
}

export function formatReport(r: SimReport): string {
  const lines = [
    `seed ${r.seed}`,
    `simulated ${(r.simulatedMs / 1000).toFixed(0)} s in ${(r.wallMs / 1000).toFixed(2)} s wall: ${r.speedup.toFixed(0)}x, peak RSS ${r.peakRssMiB} MiB`,
    `records generated ${r.recordsGenerated}, events processed ${r.eventsProcessed}, restarts ${r.restarts}`,
    `faults injected: ${Object.entries(r.faults).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    ...r.invariants.map((i) => `${i.held ? 'HELD  ' : 'BROKEN'} ${i.name}${i.detail ? ` (${i.detail})` : ''}`),
    ...formatCoverage(r.coverage),
    `digest ${r.digest}`,
    r.ok ? 'all invariants held' : `INVARIANTS BROKEN — reproduce with --seed ${r.seed}`,
  ];
  return lines.join('\n');
}

/** Per machine: transitions taken of all, then those never taken, unreached by design, stale. */
export function formatCoverage(coverage: readonly MachineCoverage[]): string[] {
  return coverage.flatMap((m) => {
    const taken = Object.keys(m.taken).length;
    const declared = Object.keys(m.unreached).length;
    return [
      `coverage ${m.machine}: ${taken}/${m.total} transitions taken${declared > 0 ? `, ${declared} unreached by design` : ''}`,
      ...m.neverTaken.map((id) => `  never taken: ${id}`),
      ...Object.entries(m.unreached).map(([id, reason]) => `  by design:   ${id} (${reason})`),
      ...m.staleDeclarations.map((id) => `  STALE declaration (taken, or no such transition): ${id}`),
    ];
  });
}

/** Seeds like `1..500`, `3,7,9` or both (`1..10,42`), in the order given, each once. */
export function parseSeeds(text: string): number[] {
  const seeds = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim())) {
    const range = /^(\d+)\.\.(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (from > to) throw new Error(`seed range '${part}' runs backwards`);
      for (let s = from; s <= to; s++) seeds.add(s);
    } else if (/^\d+$/.test(part)) seeds.add(Number(part));
    else throw new Error(`seeds '${text}' are not like 1..500 or 3,7,9`);
  }
  return [...seeds];
}

/** One line for a seed that failed, with the command that reproduces it. */
export function formatSeedFailure(r: SeedResult): string {
  const why = r.report
    ? r.report.invariants.filter((i) => !i.held).map((i) => i.name).join('; ') || 'exit 1'
    : r.error ?? 'failed';
  return `FAILED seed ${r.seed}: ${why}\n  reproduce: ${r.command}`;
}

export function formatSweep(r: SweepReport): string {
  const run = r.results.length;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return [
    `seeds run ${run} of ${r.seedsRequested}${r.stopped ? ' (stopped at the first failure)' : ''}, failed ${r.failed.length}${r.failed.length ? ` (${r.failed.map((f) => f.seed).join(', ')})` : ''}`,
    `events processed ${r.eventsProcessed}${run ? ` (${Math.round(r.eventsProcessed / run)} per seed)` : ''}, simulated ${seconds(r.simulatedMsPerSeed)} per seed`,
    `wall ${seconds(r.wallMs)} with ${r.jobs} jobs: ${r.seedsPerMinute.toFixed(1)} seeds per minute`,
    r.failed.length === 0 ? 'every seed held its invariants' : `${r.failed.length} seed${r.failed.length > 1 ? 's' : ''} FAILED — each line above has the command that reproduces it`,
    // Coverage over every seed that reported: a transition is taken if any seed took it.
    ...formatCoverage(aggregateCoverage(r.results.flatMap((x) => (x.report?.coverage ? [x.report] : [])))),
  ].join('\n');
}

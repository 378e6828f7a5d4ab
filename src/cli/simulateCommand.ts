/**
 * `kastor simulate <app|all> --seed N --duration 1h [--faults crash,drop,...]`: runs the seeded
 * simulation of src/sim on the in-memory log and an in-memory SQLite database, prints the report
 * and the digest. Exit code 1 when an invariant failed: the seed alone reproduces the run.
 */
import Database from 'better-sqlite3';
import { type FaultKind, FAULT_KINDS } from '../sim/FaultyBroker.js';
import type { MachineCoverage } from '../sim/coverage.js';
import { type SimApp, type SimEnvironment, type SimReport, simulate } from '../sim/Simulation.js';
import type { SimSizes } from '../sim/traffic.js';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore, type SqliteDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { socialReadModels, socialSim } from './sim/social.js';
import { movieflixReadModels, movieflixSim } from './sim/movieflix.js';
import { gettaxiReadModels, gettaxiSim } from './sim/gettaxi.js';
import { bankReadModels, bankSim } from './sim/bank.js';
import { opsReadModels, opsSim } from './sim/ops.js';

interface SimModule {
  app(env: SimEnvironment, db: SqliteDatabase, sizes: SimSizes, tickMs: number): SimApp;
  readModels(db: SqliteDatabase): string;
}

export const SIM_MODULES: Readonly<Record<string, SimModule>> = {
  social: { app: socialSim, readModels: socialReadModels },
  movieflix: { app: movieflixSim, readModels: movieflixReadModels },
  gettaxi: { app: gettaxiSim, readModels: gettaxiReadModels },
  bank: { app: bankSim, readModels: bankReadModels },
  ops: { app: opsSim, readModels: opsReadModels },
};

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
}

export async function runSimulation(options: SimulateOptions): Promise<SimReport> {
  const names = options.apps.length === 0 || options.apps.includes('all') ? Object.keys(SIM_MODULES) : options.apps;
  for (const n of names) if (!SIM_MODULES[n]) throw new Error(`no simulation for '${n}' (have: ${Object.keys(SIM_MODULES).join(', ')}, all)`);
  const db = new Database(':memory:');
  const store = new SqliteStateStore(db);
  const tickMs = options.tickMs ?? 1_000;
  try {
    return await simulate({
      seed: options.seed,
      durationMs: options.durationMs,
      tickMs,
      faults: options.faults,
      store,
      maxLiveActors: options.maxLiveActors,
      skipIdleTicks: options.skipIdleTicks,
      makeBroker: (clock, schedule) => new MemoryBroker({ clock, schedule, maintenanceIntervalMs: 0, closeTimeoutMs: 0 }),
      apps: (env) => names.map((n) => SIM_MODULES[n].app(env, db, options.sizes, tickMs)),
      readModels: () => names.map((n) => SIM_MODULES[n].readModels(db)).join('\n'),
    });
  } finally {
    db.close();
  }
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
    `simulated ${(r.simulatedMs / 1000).toFixed(0)} s in ${(r.wallMs / 1000).toFixed(2)} s wall: ${r.speedup.toFixed(0)}x`,
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

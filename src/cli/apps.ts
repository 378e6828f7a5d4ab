/**
 * The applications a process can host, wired to their adapters. This is the edge: besides the
 * container, the one place that imports adapters. Each application's wiring lives in
 * `src/cli/apps/<name>.ts`; this file only lists them.
 */
import type { Broker, Producer } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import type { IdSource } from '../ids/IdSource.js';
import type { Logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import type { HttpApp } from '../http/createHttpApp.js';
import type { SqliteDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { socialDefinition, socialHosted } from './apps/social.js';
import { bankDefinition, bankHosted } from './apps/bank.js';
import { movieflixDefinition, movieflixHosted } from './apps/movieflix.js';
import { gettaxiDefinition, gettaxiHosted } from './apps/gettaxi.js';
import { opsDefinition, opsHosted } from './apps/ops.js';

export interface AppContext {
  /** The state database: read models write here, in the commit transaction. */
  readonly db: SqliteDatabase;
  /** A second connection to it, for queries. */
  readonly readDb: SqliteDatabase;
  /** The process's data directory (sink roots, source databases live below it). */
  readonly dataDir: string;
  readonly transport: 'memory' | 'kafka';
  readonly broker: Broker;
  /** The edge services' producer (reliable profile). */
  readonly producer: Producer;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Something the process runs beside the stages: a source connector, a forwarder, a job. */
export interface BackgroundService {
  readonly name: string;
  start(): Promise<void>;
  /** Drains: finishes what is in flight and stores its position. */
  stop(): Promise<void>;
}

export interface HostedApp {
  readonly definition: AppDefinition;
  /** Registers the app's routes on the process's HTTP edge. */
  routes(app: HttpApp): void;
  readonly background?: readonly BackgroundService[];
}

export const APPS: Readonly<Record<string, (ctx: AppContext) => HostedApp>> = {
  social: socialHosted,
  bank: bankHosted,
  movieflix: movieflixHosted,
  gettaxi: gettaxiHosted,
  ops: opsHosted,
};

/** App definitions without read models, for topic planning. */
export const APP_DEFINITIONS: Readonly<Record<string, () => AppDefinition>> = {
  social: socialDefinition,
  bank: bankDefinition,
  movieflix: movieflixDefinition,
  gettaxi: gettaxiDefinition,
  ops: opsDefinition,
};

export function resolveApps(names: readonly string[]): string[] {
  const wanted = names.length === 0 || names.includes('all') ? Object.keys(APPS) : [...names];
  for (const n of wanted) {
    if (!APPS[n]) throw new Error(`unknown app '${n}' (known: ${Object.keys(APPS).join(', ')}, all)`);
  }
  return wanted;
}

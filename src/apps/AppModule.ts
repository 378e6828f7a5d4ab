/**
 * What one application is, in one place: its topics and entities, and how a process hosts it (read
 * models, sinks, routes, background services) — the same build for `kastor run`, `kastor simulate`
 * and the specs — and its simulation (traffic, ground truth, invariants). Each application folder
 * exports one `AppModule`; `src/apps/index.ts` lists them, one line each.
 *
 * A module is a composition root for its application, as the CLI is for the process: it may import
 * the adapters its application stands on (its SQLite read model, its sinks, its CDC source). The
 * runtime (src/host, src/sim, src/http, ...) never imports a module; the CLI reaches them only
 * through the registry.
 */
import type { Broker, Producer } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import type { BackgroundService } from '../host/BackgroundService.js';
import type { HttpApp } from '../http/createHttpApp.js';
import type { IdSource } from '../ids/IdSource.js';
import type { Logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { SimApp, SimEnvironment } from '../sim/Simulation.js';
import type { SimSizes } from '../sim/traffic.js';
import type { SqliteDatabase } from '../../adapters/sqlite/SqliteStateStore.js';

export interface AppContext {
  /** The state database: read models write here, in the commit transaction. */
  readonly db: SqliteDatabase;
  /** A second connection to it, for queries (the same connection in a simulation). */
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
  /** The environment the application reads its settings from (process.env in `kastor run`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type { BackgroundService };

export interface HostedApp {
  readonly definition: AppDefinition;
  /** Registers the app's routes on the process's HTTP edge. */
  routes(app: HttpApp): void;
  readonly background?: readonly BackgroundService[];
  /**
   * The application's read model (its port, `src/apps/<app>/<App>ReadModel.ts`): the console's view
   * of the application queries it, read-only (src/console/views/).
   */
  readonly readModel?: object;
}

/** What a simulation adds to the hosted application: traffic, ground truth and its checks. */
export type AppSimulation = Omit<SimApp, 'definition' | 'routes' | 'background'> & {
  /** A dump of the read models, for the digest (stable order). */
  readModels(): string;
};

export interface SimulationContext extends SimEnvironment {
  readonly sizes: SimSizes;
  readonly tickMs: number;
  /** The context the hosted application was built with. */
  readonly app: AppContext;
}

export interface AppModule {
  /** The dataset part of its topic names, and its name on the command line: `social`. */
  readonly name: string;
  /** Topics and entities alone, no adapters: for topic planning and checks. */
  definition(): AppDefinition;
  /** The application as a process hosts it. */
  host(ctx: AppContext): HostedApp;
  /** The environment a simulation gives the application (it never reads the process's). */
  readonly simulationEnv?: Readonly<Record<string, string>>;
  /** Seeded traffic and invariants over the hosted application. */
  simulate(hosted: HostedApp, ctx: SimulationContext): AppSimulation;
}

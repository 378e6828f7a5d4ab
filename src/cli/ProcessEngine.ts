/**
 * What runs a process's stages, under the edge `startProcess` builds: this thread's Runtime
 * (`inProcessEngine`, `--workers 1`), or worker threads that each own a share of every stage's
 * partitions (workers/workersEngine.ts). Either way the process hosts the same applications: their
 * routes, read models and background services are the main thread's.
 */
import type { AppContext, HostedApp } from '../apps/AppModule.js';
import { type ConsoleSource, localConsoleSource } from '../console/ConsoleSource.js';
import { TopicPartitionCounts } from '../console/consoleTopology.js';
import type { Runtime, RuntimeReadiness } from '../host/Runtime.js';
import { scrapeGauges } from '../host/scrapeGauges.js';
import type { ProcessProbes } from '../http/processRoutes.js';
import { SqliteStateStore, openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { type AppsToHost, hostApps } from './hostApps.js';
import { workerStateFile } from './workers/layout.js';

export interface ProcessEngine {
  /** The applications as the main thread hosts them (routes, read models, background services); set once started. */
  readonly hosted: readonly HostedApp[];
  /** This thread's Runtime (`--workers 1` only): tools and specs reach its stages. */
  readonly runtime?: Runtime;
  /** The worker threads (`--workers` above 1). */
  readonly pool?: Workers;
  readonly probes: ProcessProbes;
  readonly console: ConsoleSource;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export type WorkerState = 'starting' | 'running' | 'backing-off' | 'stopped' | 'given-up';

/** `/readyz` with worker threads: the stages' merged readiness, and each worker's. */
export interface WorkersReadiness extends RuntimeReadiness {
  /** Each worker's state, and how many times it was restarted since the process started. */
  readonly workers: ReadonlyArray<{ readonly worker: number; readonly state: WorkerState; readonly ready: boolean; readonly restarts: number }>;
}

/** The worker threads, as the process and its specs see them (workers/WorkerPool.ts). */
export interface Workers {
  readonly readiness: WorkersReadiness;
  /** Ends a worker's thread at once, as kill -9 would; it is restarted as after a crash. */
  terminate(worker: number): Promise<void>;
}

/** What the process gives its engine: the broker, the edge's producer, clock, ids, log and metrics. */
export type EngineDeps = Pick<AppContext, 'broker' | 'producer' | 'clock' | 'ids' | 'logger' | 'metrics'> & {
  readonly onFatal: (error: Error) => void;
};

export function inProcessEngine(apps: AppsToHost, deps: EngineDeps): ProcessEngine {
  const { broker, metrics } = deps;
  const file = workerStateFile(apps.dataDir, 0, 1);
  const store = new SqliteStateStore(file);
  const readDb = openDatabase(file);
  const { hosted, runtime } = hostApps(apps, { ...deps, store, readDb });
  const scrape = scrapeGauges(runtime, broker, store, metrics, deps.logger);
  return {
    hosted,
    runtime,
    probes: {
      healthy: () => runtime.healthy,
      readiness: () => runtime.readiness,
      metrics: async () => {
        await scrape();
        return metrics.render();
      },
    },
    console: localConsoleSource({ runtime, broker, store, metrics, partitions: new TopicPartitionCounts(broker.admin) }),
    start: () => runtime.start(),
    stop: async () => {
      await runtime.stop();
      readDb.close();
      store.close();
    },
  };
}

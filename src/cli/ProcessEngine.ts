/**
 * What runs a process's stages, under the edge `startProcess` builds: this thread's Runtime
 * (`inProcessEngine`, `--workers 1`), or worker threads that each own a share of every stage's
 * partitions (workers/workersEngine.ts). Either way the process hosts the same applications: their
 * routes, read models and background services are the main thread's.
 */
import { join } from 'node:path';
import type { AppContext, HostedApp } from '../apps/AppModule.js';
import { type ConsoleSource, localConsoleSource } from '../console/ConsoleSource.js';
import { TopicPartitionCounts } from '../console/consoleTopology.js';
import type { Runtime } from '../host/Runtime.js';
import { scrapeGauges } from '../host/scrapeGauges.js';
import type { ProcessProbes } from '../http/processRoutes.js';
import { SqliteStateStore, openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { type AppsToHost, hostApps } from './hostApps.js';
import type { WorkerPool } from './workers/WorkerPool.js';

export interface ProcessEngine {
  /** The applications as the main thread hosts them (routes, read models, background services); set once started. */
  readonly hosted: readonly HostedApp[];
  /** This thread's Runtime (`--workers 1` only): tools and specs reach its stages. */
  readonly runtime?: Runtime;
  /** The worker threads (`--workers` above 1). */
  readonly pool?: WorkerPool;
  readonly probes: ProcessProbes;
  readonly console: ConsoleSource;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What the process gives its engine: the broker, the edge's producer, clock, ids, log and metrics. */
export type EngineDeps = Pick<AppContext, 'broker' | 'producer' | 'clock' | 'ids' | 'logger' | 'metrics'> & {
  readonly onFatal: (error: Error) => void;
};

export function inProcessEngine(apps: AppsToHost, deps: EngineDeps): ProcessEngine {
  const { broker, metrics } = deps;
  const file = join(apps.dataDir, 'state.db');
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

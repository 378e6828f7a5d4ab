/**
 * The applications hosted on a broker and a store: each module's build (its read models, sinks,
 * routes) and one Runtime over their definitions. The same for a single-threaded process and for
 * each worker thread of one (src/cli/workers/).
 */
import type { Broker, Producer } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import type { IdSource } from '../ids/IdSource.js';
import type { Logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import { Runtime } from '../host/Runtime.js';
import type { FaultHook } from '../host/CommitStep.js';
import type { HostedApp } from '../apps/AppModule.js';
import { resolveApps } from '../apps/index.js';
import type { DeploymentProfile } from '../topics/TopicDeclaration.js';
import type { SqliteDatabase, SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';

export interface AppsToHost {
  readonly apps: readonly string[];
  readonly transport: 'memory' | 'kafka';
  readonly dataDir: string;
  readonly changelogs?: boolean;
  readonly profile?: DeploymentProfile;
  readonly maxLiveActors?: number;
  /** Records per batch a stage takes from a partition (RuntimeOptions.maxBatchSize). */
  readonly maxBatchSize?: number;
  /** This instance's name (RuntimeOptions.instance). */
  readonly instance?: string;
}

export interface HostDeps {
  readonly broker: Broker;
  /** Where state and read models are written (the runtime's store). */
  readonly store: SqliteStateStore;
  /** Where read models are queried from. */
  readonly readDb: SqliteDatabase;
  readonly producer: Producer;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly onFatal?: (error: Error) => void;
  /** Crashes injected between the commit protocol's steps (specs). */
  readonly faults?: FaultHook;
}

export interface HostedApps {
  readonly hosted: readonly HostedApp[];
  readonly runtime: Runtime;
}

export function hostApps(apps: AppsToHost, deps: HostDeps): HostedApps {
  const hosted = resolveApps(apps.apps).map((m) => m.host({
    db: deps.store.db, readDb: deps.readDb, dataDir: apps.dataDir, transport: apps.transport, broker: deps.broker,
    producer: deps.producer, clock: deps.clock, ids: deps.ids, logger: deps.logger, metrics: deps.metrics, env: process.env,
  }));
  const runtime = new Runtime(hosted.map((h) => h.definition), {
    broker: deps.broker, store: deps.store, clock: deps.clock, ids: deps.ids, metrics: deps.metrics, logger: deps.logger,
    changelogs: apps.changelogs, deployment: apps.profile, maxLiveActors: apps.maxLiveActors, maxBatchSize: apps.maxBatchSize, instance: apps.instance, onFatal: deps.onFatal, faults: deps.faults,
  });
  return { hosted, runtime };
}

/**
 * `kastor run --workers N` (N > 1): N worker threads run the stages, each over the partitions it
 * owns (p mod N) on its own SQLite file; the main thread keeps the broker's clients (one group
 * member per stage, `BrokerService`), the edge, and the read routes, which query every worker's
 * file through one connection (unionReadConnection).
 *
 * Why the process routes partitions to its workers rather than making each worker a group member
 * of its own: a partition then never moves between workers, so a worker's file holds its
 * partitions' state for good, a worker that dies resumes them from its own offsets (no changelog
 * restore, no rebalance of the other instances), and the memory transport — one journal, one
 * thread — serves workers exactly as Kafka does.
 */
import type { Subscription } from 'rxjs';
import { defaultSupervision } from '../../../config/supervision.js';
import { BrokerService } from '../../../adapters/thread/BrokerService.js';
import { unionReadConnection } from '../../../adapters/sqlite/unionReadConnection.js';
import type { HostedApp } from '../../apps/AppModule.js';
import { resolveApps } from '../../apps/index.js';
import { type ConsoleSource, type StagesReport, mergeStageReports, withHighs } from '../../console/ConsoleSource.js';
import { HttpError } from '../../http/HttpError.js';
import { ensureTopics } from '../../host/Runtime.js';
import { type SqliteDatabase, SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import type { AppsToHost } from '../hostApps.js';
import type { EngineDeps, ProcessEngine } from '../ProcessEngine.js';
import { processStateFile, workerStateFiles } from './layout.js';
import { WorkerPool } from './WorkerPool.js';

export function workersEngine(apps: AppsToHost, workers: number, deps: EngineDeps): ProcessEngine {
  const { broker, metrics } = deps;
  const modules = resolveApps(apps.apps);
  const definitions = modules.map((m) => m.definition());
  const service = new BrokerService(broker, workers);
  const pool = new WorkerPool({
    workers, apps, service, policy: defaultSupervision, clock: deps.clock, logger: deps.logger, onFatal: deps.onFatal,
  });
  let hosted: HostedApp[] = [];
  let readDb: SqliteDatabase | undefined;
  /** The main thread's own state: the CDC source's position, the popularity job's last run (its read models' tables stay empty). */
  let processDb: SqliteDatabase | undefined;
  let fatal: Subscription | undefined;
  const range = Array.from({ length: workers }, (_, i) => i);
  const context = {
    dataDir: apps.dataDir, transport: apps.transport, broker, producer: deps.producer,
    clock: deps.clock, ids: deps.ids, logger: deps.logger, metrics, env: process.env,
  };

  const console: ConsoleSource = {
    apps: definitions,
    stages: async () => {
      const shares = await Promise.all(range.map((w) => pool.ask(w, { what: 'stages' }).catch((error: unknown): StagesReport => {
        deps.logger.warn('a worker did not give the console its stages', { worker: w, error });
        return { healthy: false, ready: false, stages: [] };
      })));
      return withHighs(mergeStageReports(shares), broker);
    },
    inspect: async (app, entity, key) => {
      const answers = await Promise.allSettled(range.map((w) => pool.ask(w, { what: 'inspect', app, entity, key })));
      const worker = answers.findIndex((a) => a.status === 'fulfilled');
      const found = answers[worker];
      if (found?.status === 'fulfilled') return { ...found.value, worker };
      const refused = answers.map((a) => (a as PromiseRejectedResult).reason as Error & { statusCode?: number });
      const reason = refused.find((e) => e.statusCode !== undefined) ?? refused[0];
      throw new HttpError(reason.statusCode ?? 503, reason.message);
    },
    keys: async (app, entity, prefix, limit) => {
      const shares = await Promise.all(range.map((w) => pool.ask(w, { what: 'keys', app, entity, prefix, limit })));
      return [...new Set(shares.flat())].sort().slice(0, limit);
    },
  };

  return {
    get hosted() {
      return hosted;
    },
    pool,
    probes: {
      healthy: () => pool.healthy,
      readiness: () => pool.readiness,
      metrics: async () => metrics.renderWith(await pool.metrics()),
    },
    console,
    async start() {
      // A broker client that cannot go on ends the process (the workers' stages hear it too).
      fatal = broker.fatalErrors?.subscribe((error) => deps.onFatal(error));
      // The edge produces to the topics before any worker runs.
      await ensureTopics(broker, definitions, apps.profile);
      // Every file has every table before any worker opens the union of them.
      for (const file of workerStateFiles(apps.dataDir, workers)) {
        const store = new SqliteStateStore(file);
        try {
          for (const m of modules) m.host({ ...context, db: store.db, readDb: store.db });
        } finally {
          store.close();
        }
      }
      await pool.start();
      // Every worker has created its tables: the union sees them all.
      readDb = unionReadConnection(workerStateFiles(apps.dataDir, workers));
      processDb = openDatabase(processStateFile(apps.dataDir));
      hosted = modules.map((m) => m.host({ ...context, db: processDb!, readDb: readDb! }));
    },
    async stop() {
      fatal?.unsubscribe();
      await pool.stop();
      await service.close();
      readDb?.close();
      processDb?.close();
    },
  };
}

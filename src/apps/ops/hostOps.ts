/**
 * Logging and metrics aggregation as a process hosts it: the SQLite read model of the per-minute
 * aggregates, the log store (a file sink on `logging.ops.logs` and
 * `streaming.ops.metrics_per_minute` under `<data>/logstore`), and the metrics collector of this
 * process as a background service (named by KASTOR_SERVICE, default `kastor`; KASTOR_OPS_COLLECTOR=off
 * leaves it out).
 */
import { join } from 'node:path';
import { FileSink } from '../../../adapters/sinks/FileSink.js';
import { SqliteOpsReadModel } from '../../../adapters/sqlite/SqliteOpsReadModel.js';
import { opsTopics } from '../../../config/ops.js';
import type { AppContext, HostedApp } from '../AppModule.js';
import { fileSinkRotation } from '../fileSinkRotation.js';
import { MetricsCollector } from './metricsCollector.js';
import { opsApp } from './opsApp.js';
import { opsRoutes } from './opsRoutes.js';

export function hostOps(ctx: AppContext): HostedApp {
  const readModel = new SqliteOpsReadModel(ctx.db, ctx.readDb);
  const logstore = new FileSink({
    name: 'ops.logstore',
    root: join(ctx.dataDir, 'logstore'),
    topics: [opsTopics.metricsPerMinute.name, opsTopics.logs.name],
    db: ctx.db,
    clock: ctx.clock,
    // Files a few minutes fresh; keyed by service, only a few partitions are active at once.
    rotateIntervalMs: fileSinkRotation(ctx.env, 5 * 60_000),
    logger: ctx.logger,
  });
  const collector = ctx.env.KASTOR_OPS_COLLECTOR === 'off' ? [] : [new MetricsCollector({
    broker: ctx.broker, metrics: ctx.metrics, clock: ctx.clock, ids: ctx.ids, logger: ctx.logger,
    service: ctx.env.KASTOR_SERVICE ?? 'kastor',
  })];
  return {
    definition: opsApp({ readModel, stages: [logstore] }),
    readModel,
    routes: (app) => opsRoutes(app, { readModel }),
    background: collector,
  };
}

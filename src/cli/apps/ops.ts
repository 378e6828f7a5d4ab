/**
 * Logging and metrics aggregation wired to its adapters: the SQLite read model of the per-minute
 * aggregates, the log store (a file sink on `logging.ops.logs` and
 * `streaming.ops.metrics_per_minute` under `<data>/logstore`), and the metrics collector of this
 * process as a background service. Also `kastor logs forward`'s entry point.
 */
import { join } from 'node:path';
import { FileSink } from '../../../adapters/sinks/FileSink.js';
import { SqliteOpsReadModel } from '../../../adapters/sqlite/SqliteOpsReadModel.js';
import { opsTopics } from '../../../config/ops.js';
import { type ForwardStats, forwardLogSource } from '../../apps/ops/logForwarder.js';
import { MetricsCollector } from '../../apps/ops/metricsCollector.js';
import { opsApp } from '../../apps/ops/opsApp.js';
import { opsRoutes } from '../../apps/ops/opsRoutes.js';
import { SystemClock } from '../../clock/SystemClock.js';
import { nanoidSource } from '../../ids/IdSource.js';
import type { AppContext, HostedApp } from '../apps.js';
import { requireBroker } from '../requireBroker.js';

export function opsHosted(ctx: AppContext): HostedApp {
  const readModel = new SqliteOpsReadModel(ctx.db, ctx.readDb);
  const logstore = new FileSink({
    name: 'ops.logstore',
    root: join(ctx.dataDir, 'logstore'),
    topics: [opsTopics.metricsPerMinute.name, opsTopics.logs.name],
    db: ctx.db,
    clock: ctx.clock,
    // Files a few minutes fresh; keyed by service, only a few partitions are active at once.
    rotateIntervalMs: 5 * 60_000,
    logger: ctx.logger,
  });
  const collector = new MetricsCollector({
    broker: ctx.broker, metrics: ctx.metrics, clock: ctx.clock, ids: ctx.ids, logger: ctx.logger,
    service: process.env.KASTOR_SERVICE ?? 'kastor',
  });
  return {
    definition: opsApp({ readModel, stages: [logstore] }),
    routes: (app) => opsRoutes(app, { readModel }),
    background: [collector],
  };
}

export const opsDefinition = () => opsApp();

export interface LogsForwardOptions {
  /** A path, or `-` for stdin. */
  readonly file: string;
  readonly service: string;
  readonly transport: 'memory' | 'kafka';
  readonly brokers?: string;
}

/** `kastor logs forward <file|-> --service NAME --transport kafka [--brokers host:port]`. */
export async function logsForwardCommand(options: LogsForwardOptions): Promise<ForwardStats> {
  if (options.transport !== 'kafka') {
    throw new Error('logs forward needs --transport kafka: the memory transport lives inside one `kastor run` process');
  }
  const brokers = options.brokers ?? '127.0.0.1:9092';
  // The producer would wait for a broker for ever: check one answers before reading any line.
  await requireBroker(brokers);
  const { KafkaBroker } = await import('../../../adapters/kafka/index.js');
  const broker = new KafkaBroker({ brokers, clientId: 'kastor-logs' });
  try {
    return await forwardLogSource(options.file, { broker, clock: new SystemClock(), ids: nanoidSource, service: options.service });
  } finally {
    await broker.close();
  }
}

/**
 * SQLite implementation of the ops read model (src/apps/ops/OpsReadModel.ts).
 *
 *   ops_metrics_per_minute(service, minute ISO, name, count, min, max, sum, p50, p99, exact 0|1)
 *     PK (service, minute, name)
 * One row per `metric.aggregated`; a redelivered event (same service, minute and name) rewrites
 * the same row, so at-least-once delivery leaves it exact. Written by the projection inside the
 * commit transaction; read through a separate connection.
 */
import type { Statement } from 'better-sqlite3';
import type { MetricAggregated } from '../../actors/ops/events.js';
import { type OpsTopics, opsTopics } from '../../config/ops.js';
import type { MetricMinute, OpsReadModel, ServiceMinute } from '../../src/apps/ops/OpsReadModel.js';
import type { EventEnvelope, EventSchema } from '../../src/events/EventSchema.js';
import type { Projection } from '../../src/host/ProjectionStage.js';
import type { SqliteDatabase } from './SqliteStateStore.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ops_metrics_per_minute (
  service TEXT NOT NULL, minute TEXT NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL,
  min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL, p50 REAL NOT NULL, p99 REAL NOT NULL,
  exact INTEGER NOT NULL,
  PRIMARY KEY (service, minute, name)) WITHOUT ROWID;
`;

const UPSERT = `INSERT INTO ops_metrics_per_minute (service, minute, name, count, min, max, sum, p50, p99, exact)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (service, minute, name) DO UPDATE SET count = excluded.count, min = excluded.min,
    max = excluded.max, sum = excluded.sum, p50 = excluded.p50, p99 = excluded.p99, exact = excluded.exact`;

interface Row {
  name: string; count: number; min: number; max: number; sum: number; p50: number; p99: number; exact: number;
}

export class SqliteOpsReadModel implements OpsReadModel {
  readonly projection: Projection;
  // Prepared once, not per request.
  private readonly selectLatestMinute: Statement<[string], { minute: string | null }>;
  private readonly selectMinute: Statement<[string, string], Row>;
  private readonly selectServices: Statement<[], { service: string }>;
  private readonly selectMinutes: Statement<[string, string], Row & { minute: string }>;

  /** `read` is a second connection to the same file for queries (defaults to `write`). */
  constructor(write: SqliteDatabase, read: SqliteDatabase = write, topics: OpsTopics = opsTopics) {
    write.exec(SCHEMA);
    this.selectLatestMinute = read.prepare('SELECT max(minute) AS minute FROM ops_metrics_per_minute WHERE service = ?');
    this.selectMinute = read.prepare(
      'SELECT name, count, min, max, sum, p50, p99, exact FROM ops_metrics_per_minute WHERE service = ? AND minute = ? ORDER BY name');
    this.selectServices = read.prepare('SELECT DISTINCT service FROM ops_metrics_per_minute ORDER BY service');
    this.selectMinutes = read.prepare(
      `SELECT minute, name, count, min, max, sum, p50, p99, exact FROM ops_metrics_per_minute
       WHERE service = ? AND minute >= ? ORDER BY minute, name`);
    const dataset = topics.metricsPerMinute.name.split('.')[1];
    this.projection = {
      // Every instance keeps every service's per-minute aggregates (a row per service, metric and
      // minute): a dashboard query spans services, which no one instance's share would answer.
      everyInstance: true,
      name: `${dataset}.read_model`,
      inputs: new Map<string, EventSchema<EventEnvelope>>([[topics.metricsPerMinute.name, topics.metricsPerMinute.schema]]),
      apply: (event, tx) => {
        const e = event as MetricAggregated;
        tx.run(UPSERT, [e.service, new Date(Date.parse(e.minute)).toISOString(), e.name, e.count, e.min, e.max, e.sum,
          e.p50, e.p99, e.exact ? 1 : 0]);
      },
    };
  }

  serviceMinute(service: string, minute?: number): ServiceMinute | undefined {
    const at = minute === undefined
      ? this.selectLatestMinute.get(service)?.minute ?? undefined
      : new Date(minute).toISOString();
    if (at === undefined) return undefined;
    const rows = this.selectMinute.all(service, at);
    if (rows.length === 0) return undefined;
    const metrics: MetricMinute[] = rows.map((r) => ({ ...r, exact: r.exact === 1 }));
    return { service, minute: at, metrics };
  }

  services(): string[] {
    return this.selectServices.all().map((r) => r.service);
  }

  serviceMinutes(service: string, since: number): ServiceMinute[] {
    const minutes = new Map<string, MetricMinute[]>();
    for (const { minute, ...r } of this.selectMinutes.all(service, new Date(since).toISOString())) {
      let metrics = minutes.get(minute);
      if (!metrics) minutes.set(minute, (metrics = []));
      metrics.push({ ...r, exact: r.exact === 1 });
    }
    return [...minutes].map(([minute, metrics]) => ({ service, minute, metrics }));
  }
}

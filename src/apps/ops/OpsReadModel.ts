/**
 * The read side of logging and metrics aggregation: the per-minute aggregates by service, filled
 * from `streaming.ops.metrics_per_minute` by the projection; `adapters/sqlite/SqliteOpsReadModel.ts`
 * keeps them in SQLite.
 */
import type { Projection } from '../../host/ProjectionStage.js';

export interface MetricMinute {
  readonly name: string;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly p50: number;
  readonly p99: number;
  readonly exact: boolean;
}

export interface ServiceMinute {
  readonly service: string;
  /** Start of the minute, ISO-8601. */
  readonly minute: string;
  /** By metric name. */
  readonly metrics: readonly MetricMinute[];
}

export interface OpsReadModel {
  readonly projection: Projection;
  /** The service's metrics for the minute starting at `minute` (epoch ms), or its latest minute. */
  serviceMinute(service: string, minute?: number): ServiceMinute | undefined;
  /** The services that have aggregates, by name. */
  services(): string[];
  /** The service's minutes starting at or after `since` (epoch ms), oldest first. */
  serviceMinutes(service: string, since: number): ServiceMinute[];
}

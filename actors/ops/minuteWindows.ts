/**
 * Per-minute tumbling windows by event time, for one service: the pure logic of the metrics
 * aggregator. A minute [m, m+1) is CLOSED once the service's watermark (the latest event time
 * seen) passes its end by the grace period; it is then summarized once, per metric name, and
 * forgotten. A sample for a closed minute is late: dropped and counted, never a second summary.
 *
 * Percentiles are exact for the minute: the values are kept and ranked (nearest-rank method:
 * p-th percentile = the ⌈p/100 · n⌉-th smallest value). Bounds: at most `maxValues` values per
 * metric and minute (count, min, max and sum stay exact past it; percentiles then cover the first
 * `maxValues` samples and the summary says `exact: false`), and at most `maxSeries` metric names
 * per minute (further names are dropped and counted).
 */
import type { MetricAggregated, MetricSampled } from './events.js';

export interface Series {
  readonly values: readonly number[];
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
}

export interface WindowState {
  /** Latest event time seen, epoch ms (0 before the first sample). */
  readonly watermark: number;
  /** Epoch minute: every minute before it is closed. */
  readonly closedBefore: number;
  /** Open minutes: epoch minute → metric name → series. */
  readonly open: Readonly<Record<string, Readonly<Record<string, Series>>>>;
  /** Samples that arrived for a closed minute. */
  readonly late: number;
  /** Samples of a metric name past `maxSeries` in its minute. */
  readonly dropped: number;
}

export interface WindowLimits {
  readonly graceMs: number;
  readonly maxValues: number;
  readonly maxSeries: number;
}

export const DEFAULT_LIMITS: WindowLimits = { graceMs: 10_000, maxValues: 10_000, maxSeries: 500 };

export type Aggregated = Omit<MetricAggregated, 'id'>;

const MINUTE = 60_000;

export const emptyWindows = (): WindowState => ({ watermark: 0, closedBefore: 0, open: {}, late: 0, dropped: 0 });

/** Adds one sample and closes the minutes the new watermark allows, oldest first. */
export function addSample(state: WindowState, service: string, event: MetricSampled, limits: WindowLimits): { state: WindowState; closed: Aggregated[] } {
  const t = Date.parse(event.at);
  const minute = Math.floor(t / MINUTE);
  const open: Record<string, Readonly<Record<string, Series>>> = { ...state.open };
  let { late, dropped } = state;
  if (minute < state.closedBefore) {
    late++;
  } else {
    const bucket = { ...(open[minute] ?? {}) };
    const series = bucket[event.name];
    if (!series && Object.keys(bucket).length >= limits.maxSeries) {
      dropped++;
    } else {
      bucket[event.name] = extend(series, event.value, limits.maxValues);
      open[minute] = bucket;
    }
  }
  const watermark = Math.max(state.watermark, t);
  const closedBefore = Math.max(state.closedBefore, Math.floor((watermark - limits.graceMs) / MINUTE));
  const closed: Aggregated[] = [];
  for (const m of Object.keys(open).map(Number).sort((a, b) => a - b)) {
    if (m >= closedBefore) break;
    for (const name of Object.keys(open[m]).sort()) closed.push(summarize(service, m, name, open[m][name], limits.maxValues));
    delete open[m];
  }
  return { state: { watermark, closedBefore, open, late, dropped }, closed };
}

/** The p-th percentile (integer p in 1..100) of ascending values, by nearest rank. */
export function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p * sorted.length) / 100);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function extend(series: Series | undefined, value: number, maxValues: number): Series {
  if (!series) return { values: [value], count: 1, min: value, max: value, sum: value };
  return {
    values: series.values.length < maxValues ? [...series.values, value] : series.values,
    count: series.count + 1,
    min: Math.min(series.min, value),
    max: Math.max(series.max, value),
    sum: series.sum + value,
  };
}

function summarize(service: string, minute: number, name: string, s: Series, maxValues: number): Aggregated {
  const sorted = [...s.values].sort((a, b) => a - b);
  return {
    type: 'metric.aggregated',
    key: service,
    at: new Date((minute + 1) * MINUTE).toISOString(),
    service,
    name,
    minute: new Date(minute * MINUTE).toISOString(),
    count: s.count,
    min: s.min,
    max: s.max,
    sum: s.sum,
    p50: nearestRank(sorted, 50),
    p99: nearestRank(sorted, 99),
    exact: s.count <= maxValues,
  };
}

/**
 * Logging and metrics aggregation's events (SPEC §3). Log lines and metric samples come from
 * high-throughput fire-and-forget producers (the log forwarder, the metrics collector); the
 * aggregator rolls samples up per service, metric and minute.
 */
import { z } from 'zod';
import { envelopeFields, zodEventSchema } from '../../src/events/EventSchema.js';

export const serviceName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 letters, digits, _ . : or -');
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** A log line longer than this (UTF-8 bytes) is dead-lettered by the forwarder. */
export const MAX_LOG_LINE_BYTES = 64 * 1024;
export const MAX_METRIC_NAME = 256;

export const logLine = z.object({
  ...envelopeFields,
  type: z.literal('log.line'),
  service: serviceName,
  level: z.enum(LOG_LEVELS).optional(),
  message: z.string().max(MAX_LOG_LINE_BYTES),
  /** Further fields of a structured (JSON) line. */
  fields: z.record(z.string(), z.unknown()).optional(),
});

export const metricSampled = z.object({
  ...envelopeFields,
  type: z.literal('metric.sampled'),
  service: serviceName,
  name: z.string().min(1).max(MAX_METRIC_NAME),
  value: z.number(),
});

/** One metric of one service over one minute of event time, emitted once when the minute closes. */
export const metricAggregated = z.object({
  ...envelopeFields,
  type: z.literal('metric.aggregated'),
  service: serviceName,
  name: z.string().min(1).max(MAX_METRIC_NAME),
  /** Start of the minute, ISO-8601 (`at` is its end). */
  minute: z.iso.datetime({ offset: true }),
  count: z.number().int().positive(),
  min: z.number(),
  max: z.number(),
  sum: z.number(),
  p50: z.number(),
  p99: z.number(),
  /** False when the minute had more samples than the aggregator keeps: percentiles then cover the first ones. */
  exact: z.boolean(),
});

export type LogLine = z.infer<typeof logLine>;
export type MetricSampled = z.infer<typeof metricSampled>;
export type MetricAggregated = z.infer<typeof metricAggregated>;

export const logsSchema = zodEventSchema(logLine);
export const metricsSchema = zodEventSchema(metricSampled);
export const metricsPerMinuteSchema = zodEventSchema(metricAggregated);

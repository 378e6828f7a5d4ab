/**
 * Logging and metrics aggregation's topics (SPEC §2, §3). Logs and metric samples are high-volume
 * and expendable: the fire-and-forget producer profile (acks=0, batching, compression; two
 * replicas with one in sync in production, see topicSpec) and short retention. The per-minute
 * aggregates are the product: reliable and kept a month. All keyed by service, so one service's
 * stream stays ordered in one partition; the partition count bounds the consumers' parallelism,
 * and with keys by service a few dozen services fill 12 partitions.
 *
 * `declareOpsTopics(dataset)` exists for specs against a shared Kafka, which need their own names.
 */
import { logsSchema, metricsPerMinuteSchema, metricsSchema } from '../actors/ops/events.js';
import { DAY, declareTopic } from '../src/topics/TopicDeclaration.js';

export function declareOpsTopics(dataset = 'ops') {
  return {
    logs: declareTopic('logging', dataset, 'logs', {
      partitions: 12, key: 'service', retentionMs: 3 * DAY, profile: 'fire-and-forget', schema: logsSchema,
      description: 'log.line from the log forwarder (files, stdin), JSON and plain-text lines alike',
    }),
    metrics: declareTopic('logging', dataset, 'metrics', {
      partitions: 12, key: 'service', retentionMs: DAY, profile: 'fire-and-forget', schema: metricsSchema,
      description: 'metric.sampled from the metrics collectors',
    }),
    metricsPerMinute: declareTopic('streaming', dataset, 'metrics_per_minute', {
      partitions: 6, key: 'service', retentionMs: 30 * DAY, schema: metricsPerMinuteSchema,
      description: 'metric.aggregated: count, min, max, p50, p99 per service, metric and minute',
    }),
  } as const;
}

export type OpsTopics = ReturnType<typeof declareOpsTopics>;

export const opsTopics = declareOpsTopics();

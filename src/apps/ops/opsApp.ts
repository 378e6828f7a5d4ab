/**
 * Logging and metrics aggregation as the runtime runs it: the metrics aggregator (key: service,
 * fed by `logging.ops.metrics`, emitting to `streaming.ops.metrics_per_minute`), the read model of
 * the aggregates, and further stages given by the edge — the log store, a file sink on the logs
 * and the aggregates (an adapter, so src/ does not construct it). The log forwarder and the
 * metrics collector are producers beside the app, in logForwarder.ts and metricsCollector.ts.
 */
import { createMetricsAggregator } from '../../../actors/ops/metricsAggregatorMachine.js';
import type { WindowLimits } from '../../../actors/ops/minuteWindows.js';
import { type OpsTopics, opsTopics } from '../../../config/ops.js';
import type { AppDefinition } from '../../host/AppDefinition.js';
import type { Stage } from '../../host/Stage.js';
import type { OpsReadModel } from './OpsReadModel.js';

export interface OpsAppOptions {
  readonly readModel?: OpsReadModel;
  /** E.g. the log store's file sink. */
  readonly stages?: readonly Stage[];
  /** Default: `ops`'s; the app is named after their dataset. */
  readonly topics?: OpsTopics;
  readonly limits?: Partial<WindowLimits>;
}

/** The dataset part of the topics' names, which is the app's name. */
export const opsDataset = (topics: OpsTopics): string => topics.metrics.name.split('.')[1];

export function opsApp(options: OpsAppOptions = {}): AppDefinition {
  const t = options.topics ?? opsTopics;
  return {
    name: opsDataset(t),
    topics: Object.values(t),
    entities: [
      {
        name: 'metrics_aggregator',
        machine: createMetricsAggregator(options.limits),
        inputs: [{ topic: t.metrics }],
        outputs: { 'metric.aggregated': t.metricsPerMinute },
      },
    ],
    projections: options.readModel ? [options.readModel.projection] : [],
    stages: options.stages ?? [],
  };
}

/**
 * The metrics aggregator (key: service): rolls `metric.sampled` events up per metric name and
 * minute of event time — count, min, max, sum, p50, p99 — and emits one `metric.aggregated` per
 * metric when a minute closes (minuteWindows.ts says when, and what the bounds are).
 *
 * Keyed by service, as `logging.ops.metrics` is: no repartition, and one actor holds the service's
 * few open minutes instead of an actor per service and minute that nothing would close by event
 * time. Each closed minute is emitted exactly once: its emission and its removal from the open
 * windows commit in the same transaction (SPEC §1). A service that stops reporting keeps its last
 * minute open until it reports again (the metrics collector reports every interval).
 */
import { enqueueActions, setup } from 'xstate';
import type { MetricSampled } from './events.js';
import { type Aggregated, DEFAULT_LIMITS, type WindowLimits, type WindowState, addSample, emptyWindows } from './minuteWindows.js';

export interface AggregatorContext extends WindowState {
  readonly service: string;
}

export function createMetricsAggregator(limits: Partial<WindowLimits> = {}) {
  const l: WindowLimits = { ...DEFAULT_LIMITS, ...limits };
  return setup({
    types: {
      context: {} as AggregatorContext,
      events: {} as MetricSampled,
      input: {} as { key: string },
      emitted: {} as Aggregated,
    },
  }).createMachine({
    id: 'metricsAggregator',
    context: ({ input }) => ({ service: input.key, ...emptyWindows() }),
    on: {
      'metric.sampled': {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const { state, closed } = addSample(context, context.service, event, l);
          enqueue.assign(state);
          for (const summary of closed) enqueue.emit(summary);
        }),
      },
    },
  });
}

export const metricsAggregatorMachine = createMetricsAggregator();

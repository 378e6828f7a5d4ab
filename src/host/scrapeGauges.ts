/**
 * Gauges read when /metrics is scraped rather than kept on the event path: the lag of each
 * partition held here (the high watermark minus the offset its stage stored) and the partitions each stage holds here.
 * One update function per Runtime (a process's, or each worker thread's).
 */
import type { Broker } from '../broker/Broker.js';
import type { Logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { StateStore } from '../store/StateStore.js';
import { runtimeLag } from './lag.js';
import type { Runtime } from './Runtime.js';

export function scrapeGauges(runtime: Runtime, broker: Broker, store: StateStore, metrics: Metrics, log: Logger): () => Promise<void> {
  const lag = metrics.gauge('kastor_consumer_lag', 'High watermark minus the offset the stage stored');
  const held = metrics.gauge('kastor_partitions_assigned', 'Partitions of its input topics the stage holds here');
  return async () => {
    for (const [stage, r] of Object.entries(runtime.readiness.stages)) {
      held({ stage }, Object.values(r.assigned).reduce((n, partitions) => n + partitions.length, 0));
    }
    try {
      for (const l of await runtimeLag(runtime, broker, store, true)) {
        lag({ stage: l.stage, topic: l.topic, partition: String(l.partition) }, l.lag);
      }
    } catch (error) {
      log.warn('consumer lag unavailable', { error });
    }
  };
}

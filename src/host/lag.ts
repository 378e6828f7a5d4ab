/**
 * Consumer lag per stage and partition: the broker's high watermark minus the offset the stage
 * stored (SQLite's offsets are the truth, so this is the lag that matters).
 */
import type { Broker } from '../broker/Broker.js';
import { tpKey } from '../broker/Record.js';
import type { StateStore } from '../store/StateStore.js';
import type { Runtime } from './Runtime.js';

export interface PartitionLag {
  readonly stage: string;
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/**
 * Each stage's lag on every partition of its topics; with `heldOnly`, on the partitions it holds
 * here only (an instance or a worker thread reports its own share, as a Kafka group member does).
 */
export async function runtimeLag(runtime: Runtime, broker: Broker, store: StateStore, heldOnly = false): Promise<PartitionLag[]> {
  const lags: PartitionLag[] = [];
  for (const runner of runtime.stageRunners) {
    const stage = store.stage(runner.stage.name);
    const held = new Set(runner.assignments);
    for (const topic of runner.stage.topics) {
      const description = await broker.admin.describeTopic(topic);
      if (!description) continue;
      const tps = Array.from({ length: description.partitions }, (_, partition) => ({ topic, partition }))
        .filter((tp) => !heldOnly || held.has(tpKey(tp)));
      const stored = stage.offsets(tps);
      for (const tp of tps) {
        const { high } = await broker.admin.watermarks(tp);
        lags.push({ stage: runner.stage.name, topic, partition: tp.partition, lag: Math.max(0, high - (stored.get(tpKey(tp)) ?? 0)) });
      }
    }
  }
  return lags;
}

/** Whether every stage consumed everything and sent its whole outbox. */
export async function caughtUp(runtime: Runtime, broker: Broker, store: StateStore): Promise<boolean> {
  for (const runner of runtime.stageRunners) {
    if (store.stage(runner.stage.name).pendingOutbox(1).length > 0) return false;
  }
  return (await runtimeLag(runtime, broker, store)).every((l) => l.lag === 0);
}

/**
 * Waits until a runtime has consumed everything there is: every stage's stored offsets reach the
 * high watermarks of its topics and its outbox is empty, twice in a row (outputs cascade into the
 * next stage's inputs).
 */
import type { Broker } from '../../src/broker/Broker.js';
import type { Runtime } from '../../src/host/Runtime.js';
import type { StateStore } from '../../src/store/StateStore.js';
import { tpKey } from '../../src/broker/Record.js';
import { waitFor } from './waitFor.js';

export async function caughtUp(runtime: Runtime, broker: Broker, store: StateStore): Promise<boolean> {
  for (const runner of runtime.stageRunners) {
    const stage = store.stage(runner.stage.name);
    if (stage.pendingOutbox(1).length > 0) return false;
    for (const topic of runner.stage.topics) {
      const description = await broker.admin.describeTopic(topic);
      if (!description) return false;
      const tps = Array.from({ length: description.partitions }, (_, partition) => ({ topic, partition }));
      const stored = stage.offsets(tps);
      for (const tp of tps) {
        const { high } = await broker.admin.watermarks(tp);
        if (high > 0 && (stored.get(tpKey(tp)) ?? 0) < high) return false;
      }
    }
  }
  return true;
}

export async function settle(runtime: Runtime, broker: Broker, store: StateStore, timeoutMs = 15_000): Promise<void> {
  let streak = 0;
  await waitFor(async () => {
    streak = (await caughtUp(runtime, broker, store)) ? streak + 1 : 0;
    return streak >= 2;
  }, { timeoutMs, message: 'runtime to consume every record and empty its outbox' });
}

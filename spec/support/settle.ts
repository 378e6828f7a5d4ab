/**
 * Waits until a runtime has consumed everything there is: every stage's stored offsets reach the
 * high watermarks of its topics and its outbox is empty, twice in a row (outputs cascade into the
 * next stage's inputs).
 */
import type { Broker } from '../../src/broker/Broker.js';
import { caughtUp } from '../../src/host/lag.js';
import type { Runtime } from '../../src/host/Runtime.js';
import type { StateStore } from '../../src/store/StateStore.js';
import { waitFor } from './waitFor.js';

export { caughtUp };

export async function settle(runtime: Runtime, broker: Broker, store: StateStore, timeoutMs = 15_000): Promise<void> {
  let streak = 0;
  await waitFor(async () => {
    streak = (await caughtUp(runtime, broker, store)) ? streak + 1 : 0;
    return streak >= 2;
  }, { timeoutMs, message: 'runtime to consume every record and empty its outbox' });
}

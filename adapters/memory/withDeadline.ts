/**
 * A bounded wait on the injected clock, for the `memory` adapter of the broker port
 * (`src/broker/Broker.ts`): rebalance and close deadlines move with a `VirtualClock` in simulation
 * exactly as with the system clock in production. No on-disk format.
 */
import type { Clock } from '../../src/clock/Clock.js';

/** Resolves true if `work` settled within `ms` on `clock`, false if the deadline came first. */
export async function withDeadline(work: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  let timer: unknown;
  const deadline = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), deadline]);
  } finally {
    clock.clearTimeout(timer);
  }
}

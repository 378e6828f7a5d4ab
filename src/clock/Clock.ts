/**
 * Time as the runtime and the actors see it. Nothing else reads the wall clock: production injects
 * `SystemClock`, specs and the simulation a `VirtualClock`. The shape of `setTimeout` and
 * `clearTimeout` is XState's `clock` option, so a Clock can be handed to `createActor` as is.
 */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const isoAt = (clock: Clock): string => new Date(clock.now()).toISOString();

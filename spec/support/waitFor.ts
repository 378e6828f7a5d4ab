/**
 * Bounded waits for specs: poll a condition every 10 ms until it holds or the deadline passes, then
 * fail with a message that says what was awaited. Never a bare sleep. Real timers are fine here:
 * these helpers wait on adapters (a real Kafka broker included), not on the runtime's clock.
 */
import type { Observable, Subscription } from 'rxjs';

export interface WaitOptions {
  /** Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** What was awaited, or a function that describes the state at the deadline. */
  readonly message?: string | (() => string);
}

const POLL_MS = 10;

export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      const { message } = options;
      const text = typeof message === 'function' ? message() : (message ?? 'condition');
      throw new Error(`waitFor timed out after ${timeoutMs} ms: ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Waits for a value that `probe` returns once it is there (anything but undefined). */
export async function waitForValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  let value: T | undefined;
  await waitFor(async () => (value = await probe()) !== undefined, options);
  return value as T;
}

/** Everything an Observable emitted so far, and how it ended, if it did. */
export interface Collected<T> {
  readonly items: T[];
  readonly completed: boolean;
  readonly error: unknown;
  /** True once the source completed or failed. */
  readonly done: boolean;
  readonly subscription: Subscription;
}

/** Subscribes and records; unsubscribe through `subscription`. */
export function collect<T>(source: Observable<T>): Collected<T> {
  const state = { items: [] as T[], completed: false, error: undefined as unknown, done: false };
  const subscription = source.subscribe({
    next: (item) => state.items.push(item),
    error: (error: unknown) => {
      state.error = error;
      state.done = true;
    },
    complete: () => {
      state.completed = true;
      state.done = true;
    },
  });
  return Object.assign(state, { subscription });
}

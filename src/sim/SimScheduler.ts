import type { VirtualClock } from '../clock/VirtualClock.js';

/**
 * The simulation's only source of "later": the memory broker hands its deliveries and rebalance
 * steps here instead of to setImmediate. Tasks run in FIFO order, or — with the `reorder` fault —
 * in an order drawn from the seed, which interleaves partitions differently while staying
 * reproducible: the same seed picks the same order.
 */
export class SimScheduler {
  private queue: Array<() => void> = [];
  ran = 0;

  constructor(private readonly random?: () => number) {}

  readonly schedule = (task: () => void): void => {
    this.queue.push(task);
  };

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Runs what is queued now (tasks queued meanwhile wait for the next call). */
  runQueued(): number {
    const batch = this.queue;
    this.queue = [];
    if (this.random) {
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [batch[i], batch[j]] = [batch[j], batch[i]];
      }
    }
    for (const task of batch) task();
    this.ran += batch.length;
    return batch.length;
  }
}

/** Lets every pending promise callback run (nothing else in a simulation uses the event loop). */
export const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs scheduled tasks and the promise chains they start until nothing is left to do. */
export async function drain(scheduler: SimScheduler, maxRounds = 1_000_000): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    await flushMicrotasks();
    if (scheduler.idle) {
      await flushMicrotasks();
      if (scheduler.idle) return;
    }
    scheduler.runQueued();
  }
  throw new Error('simulation did not quiesce');
}

/**
 * Awaits work that needs scheduled tasks to run (a consumer leaving its group) or time to pass (a
 * send retried after a backoff): runs the tasks, and when nothing is runnable moves the virtual
 * clock to the next timer.
 */
export async function whileDraining<T>(scheduler: SimScheduler, clock: VirtualClock, work: Promise<T>): Promise<T> {
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  while (!done) {
    await flushMicrotasks();
    if (scheduler.runQueued() > 0 || done) continue;
    await flushMicrotasks();
    if (!done && scheduler.idle) {
      const next = clock.nextDue();
      if (next !== undefined) clock.advanceTo(Math.max(next, clock.now()));
    }
  }
  return result;
}

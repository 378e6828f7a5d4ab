/**
 * Helpers for the memory adapter's own specs: a scheduler the spec runs by hand (as the simulation
 * does), and a small reader that records batches and acks them when told.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { AssignedPartition, GroupConsumer, RecordBatch, StartPosition } from '../../../src/broker/Broker.js';
import type { Schedule } from '../../../adapters/memory/index.js';

/** Tasks wait in a queue until `run()`; nothing is delivered behind the spec's back. */
export class ManualScheduler {
  private readonly queue: (() => void)[] = [];
  readonly schedule: Schedule = (task) => void this.queue.push(task);

  get pending(): number {
    return this.queue.length;
  }

  /** Runs tasks (and the promise callbacks they cause) until none is left. */
  async run(): Promise<void> {
    for (;;) {
      await nextMacrotask();
      const task = this.queue.shift();
      if (!task) return;
      task();
    }
  }
}

export interface Reading {
  readonly partition: AssignedPartition;
  readonly batches: RecordBatch[];
  completed: boolean;
  error: unknown;
}

/**
 * Subscribes to every assignment of `consumer` from `start`, without acking anything. An error of
 * the assignments themselves is left to whoever else subscribes to them.
 */
export function readAssignments(consumer: GroupConsumer, start: StartPosition = 'committed'): Reading[] {
  const readings: Reading[] = [];
  consumer.assignments.subscribe({
    error: () => undefined,
    next: (partition) => {
      const reading: Reading = { partition, batches: [], completed: false, error: undefined };
      readings.push(reading);
      partition.batches(start).subscribe({
        next: (b) => reading.batches.push(b),
        error: (e: unknown) => (reading.error = e),
        complete: () => (reading.completed = true),
      });
    },
  });
  return readings;
}

export const offsetsOf = (batches: readonly RecordBatch[]): number[] =>
  batches.flatMap((b) => b.records.map((r) => r.offset));

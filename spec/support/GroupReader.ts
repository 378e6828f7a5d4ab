/**
 * Drives one `GroupConsumer` the way the actor host does, through the broker port only: every
 * assigned partition is read from `start` (default: the group's committed offset); each batch is
 * recorded, its next offset committed, and only then acked. So a partition that moves to another
 * member (or comes back after a rebalance) continues exactly where the last owner stopped.
 */
import type { AssignedPartition, GroupConsumer, RecordBatch, StartPosition } from '../../src/broker/Broker.js';
import type { BrokerRecord, TopicPartition } from '../../src/broker/Record.js';
import { tpKey } from '../../src/broker/Record.js';
import type { Subscription } from 'rxjs';

export interface GroupReaderOptions {
  /** Where each assigned partition starts; default 'committed'. */
  readonly start?: (tp: TopicPartition) => StartPosition;
  /** Commit before acking each batch; default true. */
  readonly commit?: boolean;
}

export class GroupReader {
  readonly records: BrokerRecord[] = [];
  readonly batches: RecordBatch[] = [];
  /** Every assignment received, in order. */
  readonly assignments: TopicPartition[] = [];
  readonly errors: unknown[] = [];
  /** Partitions held right now: assigned and not yet completed. */
  private readonly holding = new Set<string>();
  private readonly subscriptions: Subscription[] = [];
  assignmentsCompleted = false;

  constructor(
    readonly consumer: GroupConsumer,
    private readonly options: GroupReaderOptions = {},
  ) {
    this.subscriptions.push(
      consumer.assignments.subscribe({
        next: (assigned) => this.read(assigned),
        error: (error: unknown) => this.errors.push(error),
        complete: () => (this.assignmentsCompleted = true),
      }),
    );
  }

  /** Keys (`topic/partition`) of the partitions held now, sorted. */
  held(): string[] {
    return [...this.holding].sort();
  }

  /** Offsets read of one partition, in the order they came. */
  offsets(tp: TopicPartition): number[] {
    return this.records.filter((r) => r.topic === tp.topic && r.partition === tp.partition).map((r) => r.offset);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    for (const s of this.subscriptions) s.unsubscribe();
  }

  private read(assigned: AssignedPartition): void {
    const key = tpKey(assigned);
    this.assignments.push({ topic: assigned.topic, partition: assigned.partition });
    this.holding.add(key);
    const start = this.options.start?.(assigned) ?? 'committed';
    this.subscriptions.push(
      assigned.batches(start).subscribe({
        next: (batch) => void this.handle(batch),
        error: (error: unknown) => {
          this.errors.push(error);
          this.holding.delete(key);
        },
        complete: () => this.holding.delete(key),
      }),
    );
  }

  private async handle(batch: RecordBatch): Promise<void> {
    this.batches.push(batch);
    this.records.push(...batch.records);
    try {
      if (this.options.commit ?? true) {
        const last = batch.records[batch.records.length - 1];
        await this.consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: last.offset + 1 }]);
      }
    } catch (error) {
      this.errors.push(error);
    } finally {
      batch.ack();
    }
  }
}

/**
 * `AssignedPartition` of the `memory` adapter of the broker port (`src/broker/Broker.ts`): one
 * partition given to one group member for one generation, read from its `PartitionLog`. No
 * on-disk format of its own (committed offsets come through the group coordinator).
 *
 * Delivery is a small pump: at most one batch in flight; the next is read only after `ack()`; a
 * reader that caught up registers on the log and is woken by the next append. Every delivery runs
 * through the injected `schedule` (setImmediate by default, a deterministic queue in simulation),
 * never inside `send()` or `ack()`. Revocation waits for the batch in flight, then completes.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { AssignedPartition, RecordBatch, StartPosition } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import type { PartitionLog } from './PartitionLog.js';

export type Schedule = (task: () => void) => void;

export interface PartitionStreamOptions {
  readonly maxBatchSize: number;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly schedule: Schedule;
  /** The group's committed offset for this partition, read when `batches('committed')` starts. */
  readonly committed: () => number | undefined;
}

export class PartitionStream implements AssignedPartition {
  readonly topic: string;
  readonly partition: number;
  private subscriber: Subscriber<RecordBatch> | undefined;
  private subscribed = false;
  private position = 0;
  private inFlight: RecordBatch | undefined;
  private scheduled = false;
  private waiting = false;
  private revoking = false;
  private done = false;
  private readonly finished: Promise<void>;
  private resolveFinished!: () => void;

  constructor(
    private readonly log: PartitionLog,
    private readonly options: PartitionStreamOptions,
  ) {
    this.topic = log.topic;
    this.partition = log.partition;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  batches(start: StartPosition): Observable<RecordBatch> {
    return new Observable<RecordBatch>((subscriber) => {
      if (this.subscribed) {
        subscriber.error(
          new BrokerError(`${this.topic}/${this.partition}: batches() subscribed twice in one assignment`),
        );
        return;
      }
      this.subscribed = true;
      if (this.done) {
        subscriber.complete();
        return;
      }
      this.subscriber = subscriber;
      this.position = this.startOffset(start);
      this.schedulePump();
      // A reader that walks away gives the partition up: nothing to wait for in a rebalance.
      return () => this.finish();
    });
  }

  /** True from the moment a rebalance or close takes the partition back. */
  get isRevoked(): boolean {
    return this.revoking || this.done;
  }

  /** True once `batches` has completed (or can no longer start). */
  get isFinished(): boolean {
    return this.done;
  }

  /**
   * Takes the partition back: resolves once the batch in flight (if any) is acked and `batches`
   * has completed. Idempotent.
   */
  revoke(): Promise<void> {
    if (!this.revoking && !this.done) {
      this.revoking = true;
      if (!this.subscriber) this.finish();
      else if (!this.inFlight) this.schedulePump();
    }
    return this.finished;
  }

  /** Ends the stream now, batch in flight or not: close deadlines, expulsion, broker close. */
  abort(error?: BrokerError): void {
    this.inFlight = undefined;
    this.finish(error);
  }

  private startOffset(start: StartPosition): number {
    const offset = start === 'committed' ? this.options.committed() : start.offset;
    if (offset === undefined) return this.resetOffset();
    if (!Number.isInteger(offset) || offset < this.log.low || offset > this.log.high) return this.resetOffset();
    return offset;
  }

  /** Kafka's auto.offset.reset: no usable offset, or one outside the log. */
  private resetOffset(): number {
    return this.options.autoOffsetReset === 'latest' ? this.log.high : this.log.low;
  }

  private schedulePump(): void {
    if (this.scheduled || this.done) return;
    this.scheduled = true;
    this.options.schedule(this.pump);
  }

  private readonly wake = (): void => {
    this.waiting = false;
    this.schedulePump();
  };

  private readonly pump = (): void => {
    this.scheduled = false;
    const subscriber = this.subscriber;
    if (!subscriber || this.inFlight || this.done) return;
    if (this.revoking) return this.finish();
    const log = this.log;
    if (this.position < log.low || this.position > log.high) this.position = this.resetOffset();
    const records = log.read(this.position, this.options.maxBatchSize);
    if (records.length === 0) {
      if (!this.waiting) {
        this.waiting = true;
        log.onAppend(this.wake);
      }
      return;
    }
    const batch: RecordBatch = {
      topic: this.topic,
      partition: this.partition,
      records,
      ack: () => {
        if (this.inFlight !== batch) return;
        this.inFlight = undefined;
        this.schedulePump();
      },
    };
    this.inFlight = batch;
    this.position = records[records.length - 1].offset + 1;
    subscriber.next(batch);
  };

  private finish(error?: BrokerError): void {
    if (this.done) return;
    this.done = true;
    if (this.waiting) {
      this.log.offAppend(this.wake);
      this.waiting = false;
    }
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (error) subscriber?.error(error);
    else subscriber?.complete();
    this.resolveFinished();
  }
}

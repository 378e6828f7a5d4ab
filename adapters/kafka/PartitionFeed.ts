/**
 * One `AssignedPartition` of the broker port (src/broker/Broker.ts) in the kafka adapter: the
 * records librdkafka fetched for one partition of a KafkaGroupConsumer, handed out as
 * `RecordBatch`es, one in flight at a time.
 *
 * Where the partition starts:
 * - `batches()` subscribed while the consumer is still answering the ASSIGN rebalance event: the
 *   consumer assigns the partition with that offset (`{offset}`), or without one (`'committed'`:
 *   librdkafka fetches the group's committed offset, else `auto.offset.reset`).
 * - subscribed later: the partition was assigned paused; it is seeked to `{offset}`, or to the
 *   offset the group has committed by then (`'committed'`; without one, to the beginning or end
 *   per `auto.offset.reset`). From its assignment until then the partition is paused (in the
 *   same tick as the assign, before librdkafka could have looked up a fetch position), so nothing
 *   fetched from the old position can turn up after the seek.
 *
 * Records that turn up while the partition is not yet positioned are dropped.
 *
 * Flow control: records are buffered per partition; the partition is paused in librdkafka when the
 * buffer holds `highWater` records and resumed when it drains below one batch. librdkafka resumes
 * from the position after the last record it handed over, so pausing loses nothing.
 *
 * Revocation and close (`end()`): no further batch is handed out, the buffer is dropped (those
 * records were not committed; the next owner reads them again), the batch in flight is awaited,
 * then the Observable completes. Only then does the consumer give the partition up.
 */
import { Observable, type Subscriber } from 'rxjs';
import type { AssignedPartition, RecordBatch, StartPosition } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import type { BrokerRecord, TopicPartition, TopicPartitionOffset } from '../../src/broker/Record.js';
import { describe } from './kafkaErrors.js';
import type { KafkaLogger } from './logger.js';

/** What a feed needs of its consumer. */
export interface PartitionControl {
  pause(tp: TopicPartition): void;
  resume(tp: TopicPartition): void;
  /** Seeks; `offset` may be librdkafka's logical OFFSET_BEGINNING (-2) or OFFSET_END (-1). */
  seek(tpo: TopicPartitionOffset): Promise<void>;
  /** The offset a start position means now: the given one, or the group's committed one. */
  positionOf(tp: TopicPartition, start: StartPosition): Promise<number>;
  readonly logger: KafkaLogger;
}

export interface PartitionFeedOptions {
  readonly maxBatchSize: number;
  /** Buffered records at which the partition is paused. */
  readonly highWater: number;
}

type Phase =
  /** Created; librdkafka does not have the partition yet. */
  | 'new'
  /** Assigned in librdkafka. */
  | 'assigned'
  /** Revoked or closing: no more batches. */
  | 'ending'
  | 'ended';

export class PartitionFeed implements AssignedPartition {
  private phase: Phase = 'new';
  private start: StartPosition | undefined;
  private subscriber: Subscriber<RecordBatch> | undefined;
  private subscribedOnce = false;
  /** Batches flow once the position is right (assigned with the start, or seeked). */
  private flowing = false;
  private buffer: BrokerRecord[] = [];
  private head = 0;
  private inFlight = 0;
  private batchSeq = 0;
  private paused = false;
  private drained: (() => void) | undefined;
  private ending: Promise<void> | undefined;
  private emitScheduled = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly control: PartitionControl,
    private readonly options: PartitionFeedOptions,
  ) {}

  batches(start: StartPosition): Observable<RecordBatch> {
    return new Observable<RecordBatch>((subscriber) => {
      if (this.subscribedOnce) {
        subscriber.error(
          new BrokerError(`${this.topic}/${this.partition}: batches() is subscribed once per assignment`),
        );
        return;
      }
      this.subscribedOnce = true;
      if (this.phase === 'ending' || this.phase === 'ended') {
        subscriber.complete();
        return;
      }
      this.subscriber = subscriber;
      this.start = start;
      if (this.phase === 'assigned') this.startLate(start);
      return () => this.onUnsubscribe(subscriber);
    });
  }

  /** The entry for librdkafka's assign: with the start offset when it is already known. */
  assignment(): TopicPartition | TopicPartitionOffset {
    const start = this.start;
    if (start !== undefined && start !== 'committed') {
      return { topic: this.topic, partition: this.partition, offset: start.offset };
    }
    return { topic: this.topic, partition: this.partition };
  }

  /** librdkafka now has the partition, positioned by `assignment()`. */
  assigned(): void {
    if (this.phase !== 'new') return;
    this.phase = 'assigned';
    if (this.start !== undefined) {
      this.flowing = true;
    } else {
      // Nobody wants the records yet: do not fetch them.
      this.pause();
    }
  }

  /** Records of this partition, in offset order, as librdkafka fetched them. */
  push(records: readonly BrokerRecord[]): void {
    // Before the start position is in place (a late start seeks), records are not wanted.
    if (this.phase !== 'assigned' || !this.flowing) return;
    for (const r of records) this.buffer.push(r);
    if (!this.paused && this.buffered() >= this.options.highWater) this.pause();
    this.emit();
  }

  /**
   * Revocation or close: hands out nothing more, waits for the batch in flight (at most
   * `timeoutMs`, unbounded when omitted), completes `batches`. Idempotent; a later call with a
   * timeout bounds a wait that an earlier call left unbounded.
   */
  end(timeoutMs?: number): Promise<void> {
    if (this.phase === 'ended') return Promise.resolve();
    this.phase = 'ending';
    this.buffer = [];
    this.head = 0;
    if (this.inFlight === 0 || this.subscriber === undefined) {
      this.finish();
      return Promise.resolve();
    }
    this.ending ??= new Promise<void>((resolve) => {
      const since = Date.now();
      // A rebalance waits for the ack as long as it takes; say so now and then.
      const reminder = setInterval(() => {
        this.control.logger.warn('still waiting for the batch in flight to be acked', {
          topic: this.topic,
          partition: this.partition,
          waitedMs: Date.now() - since,
        });
      }, 30_000);
      reminder.unref();
      this.drained = () => {
        clearInterval(reminder);
        this.drained = undefined;
        this.finish();
        resolve();
      };
    });
    if (timeoutMs !== undefined) {
      setTimeout(() => {
        if (this.drained === undefined) return;
        this.control.logger.warn('batch not acked in time; giving the partition up anyway', {
          topic: this.topic,
          partition: this.partition,
          waitedMs: timeoutMs,
        });
        this.drained();
      }, timeoutMs).unref();
    }
    return this.ending;
  }

  private finish(): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.complete();
  }

  private startLate(start: StartPosition): void {
    const tp = { topic: this.topic, partition: this.partition };
    this.control
      .positionOf(tp, start)
      .then((offset) => this.control.seek({ ...tp, offset }))
      .then(() => {
        if (this.phase !== 'assigned') return;
        this.buffer = [];
        this.head = 0;
        this.flowing = true;
        this.emit();
      })
      .catch((e: unknown) => {
        const subscriber = this.subscriber;
        if (this.phase !== 'assigned' || subscriber === undefined) return;
        this.subscriber = undefined;
        subscriber.error(
          e instanceof BrokerError
            ? e
            : new BrokerError(`position ${this.topic}/${this.partition} at ${JSON.stringify(start)}: ${describe(e)}`, {
                retriable: true,
                cause: e,
              }),
        );
      });
  }

  private buffered(): number {
    return this.buffer.length - this.head;
  }

  /** Hands out the next batch when none is in flight; deferred so that `ack()` never recurses. */
  private emit(): void {
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    queueMicrotask(() => {
      this.emitScheduled = false;
      this.emitNow();
    });
  }

  private emitNow(): void {
    if (this.phase !== 'assigned' || !this.flowing) return;
    const subscriber = this.subscriber;
    if (subscriber === undefined) return;
    if (this.inFlight === 0 && this.buffered() > 0) {
      const end = Math.min(this.buffer.length, this.head + this.options.maxBatchSize);
      const records = this.buffer.slice(this.head, end);
      this.head = end;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      } else if (this.head > 4096) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      const seq = ++this.batchSeq;
      this.inFlight = seq;
      const batch: RecordBatch = {
        topic: this.topic,
        partition: this.partition,
        records,
        ack: () => this.ack(seq),
      };
      subscriber.next(batch);
    }
    if (this.paused && this.buffered() < this.options.maxBatchSize) this.resume();
  }

  private ack(seq: number): void {
    if (this.inFlight !== seq) return; // a second ack, or an ack of an abandoned batch
    this.inFlight = 0;
    if (this.drained) {
      this.drained();
      return;
    }
    this.emit();
  }

  private onUnsubscribe(subscriber: Subscriber<RecordBatch>): void {
    if (this.subscriber !== subscriber) return;
    // The owner walked away: its batch in flight no longer holds the partition.
    this.subscriber = undefined;
    this.inFlight = 0;
    this.drained?.();
    if (this.phase === 'assigned') this.pause();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.control.pause({ topic: this.topic, partition: this.partition });
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.control.resume({ topic: this.topic, partition: this.partition });
  }
}

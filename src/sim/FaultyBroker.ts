/**
 * Wraps a broker with the faults of a simulation, all drawn from the seed: producer sends dropped
 * (the send fails, the caller retries) or duplicated (the records land twice, same ids), a
 * partition's consumer stopped for a while, batches redelivered. The runtime must hold its
 * invariants through all of them.
 */
import { Observable, concatMap, from, of } from 'rxjs';
import type { AssignedPartition, Broker, ConsumerOptions, GroupConsumer, Producer, ProducerOptions, ReadOptions, RecordBatch, StartPosition } from '../broker/Broker.js';
import { BrokerUnavailable } from '../broker/errors.js';
import type { BrokerRecord, OutgoingRecord, RecordMetadata, TopicPartition } from '../broker/Record.js';
import type { Clock } from '../clock/Clock.js';

export type FaultKind = 'crash' | 'drop' | 'duplicate' | 'pause' | 'redeliver' | 'reorder';
export const FAULT_KINDS: readonly FaultKind[] = ['crash', 'drop', 'duplicate', 'pause', 'redeliver', 'reorder'];

export interface FaultRates {
  readonly drop: number;
  readonly duplicate: number;
  readonly pause: number;
  readonly pauseMs: number;
  readonly redeliver: number;
}

export const DEFAULT_RATES: FaultRates = { drop: 0.02, duplicate: 0.02, pause: 0.01, pauseMs: 30_000, redeliver: 0.02 };

export class FaultCounter {
  readonly counts: Record<string, number> = {};
  add(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }
}

export class FaultyBroker implements Broker {
  readonly name: string;
  readonly admin: Broker['admin'];

  constructor(
    private readonly inner: Broker,
    private readonly faults: ReadonlySet<FaultKind>,
    private readonly random: () => number,
    private readonly clock: Clock,
    readonly counter: FaultCounter,
    private readonly rates: FaultRates = DEFAULT_RATES,
  ) {
    this.name = `faulty(${inner.name})`;
    this.admin = inner.admin;
  }

  producer(options?: ProducerOptions): Producer {
    const inner = this.inner.producer(options);
    return {
      send: async (records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> => {
        if (this.faults.has('drop') && this.random() < this.rates.drop) {
          this.counter.add('drop');
          throw new BrokerUnavailable('simulated: send dropped');
        }
        const meta = await inner.send(records);
        if (this.faults.has('duplicate') && this.random() < this.rates.duplicate) {
          this.counter.add('duplicate');
          await inner.send(records);
        }
        return meta;
      },
      flush: () => inner.flush(),
      close: () => inner.close(),
    };
  }

  /** Restores read as they are: the faults are in what the runtime produces and consumes. */
  readPartition(tp: TopicPartition, options?: ReadOptions): Observable<readonly BrokerRecord[]> {
    return this.inner.readPartition(tp, options);
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    const inner = this.inner.consumer(options);
    const assignments = new Observable<AssignedPartition>((subscriber) =>
      inner.assignments.subscribe({
        next: (p) => subscriber.next({ topic: p.topic, partition: p.partition, batches: (start: StartPosition) => this.faulty(p.batches(start)) }),
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }));
    return { assignments, commit: (o) => inner.commit(o), committed: (t) => inner.committed(t), close: () => inner.close() };
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private faulty(batches: Observable<RecordBatch>): Observable<RecordBatch> {
    return batches.pipe(
      concatMap((batch) => {
        const out: Observable<RecordBatch> = this.maybePause(batch);
        if (!(this.faults.has('redeliver') && this.random() < this.rates.redeliver)) return out;
        this.counter.add('redeliver');
        // The same records again once the first delivery is acked, as after a lost commit.
        return out.pipe(concatMap((b) => from(this.twice(b))));
      }),
    );
  }

  private maybePause(batch: RecordBatch): Observable<RecordBatch> {
    if (!(this.faults.has('pause') && this.random() < this.rates.pause)) return of(batch);
    this.counter.add('pause');
    return new Observable<RecordBatch>((subscriber) => {
      const handle = this.clock.setTimeout(() => {
        subscriber.next(batch);
        subscriber.complete();
      }, this.rates.pauseMs);
      return () => this.clock.clearTimeout(handle);
    });
  }

  private twice(batch: RecordBatch): Observable<RecordBatch> {
    return new Observable<RecordBatch>((subscriber) => {
      subscriber.next({
        ...batch,
        ack: () => {
          subscriber.next(batch);
          subscriber.complete();
        },
      });
    });
  }
}

/**
 * The broker port inside a worker thread: every call goes to the process's `BrokerService` over a
 * MessagePort. A consumer is this worker's share of the process's group member (`SharedConsumer`):
 * it is assigned the partitions this worker owns. Batches are acked back across the port, so a
 * partition's flow control is the broker's own.
 */
import type { MessagePort } from 'node:worker_threads';
import { Observable, ReplaySubject, Subject, type Subscriber } from 'rxjs';
import type {
  Admin,
  AssignedPartition,
  Broker,
  ConsumerOptions,
  GroupConsumer,
  Producer,
  ProducerOptions,
  ReadOptions,
  RecordBatch,
  StartPosition,
} from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import type { BrokerRecord, OutgoingRecord, RecordMetadata, TopicPartition, TopicPartitionOffset } from '../../src/broker/Record.js';
import { type CallMethod, type Calls, type ToService, type ToWorker, fromWire } from './protocol.js';

export class ThreadBroker implements Broker {
  readonly admin: Admin;
  readonly fatalErrors: Observable<BrokerError>;
  private readonly fatal$ = new Subject<BrokerError>();
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly consumers = new Map<number, ThreadConsumer>();
  private readonly partitions = new Map<number, ThreadPartition>();
  private readonly reads = new Map<number, Subscriber<readonly BrokerRecord[]>>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    readonly name: string,
  ) {
    this.fatalErrors = this.fatal$.asObservable();
    port.on('message', (m: ToWorker) => this.receive(m));
    this.admin = {
      createTopics: (topics) => this.call('admin.createTopics', topics),
      deleteTopics: (names) => this.call('admin.deleteTopics', names),
      listTopics: () => this.call('admin.listTopics'),
      describeTopic: (name) => this.call('admin.describeTopic', name),
      watermarks: (tp) => this.call('admin.watermarks', tp),
      brokerCount: () => this.call('admin.brokerCount'),
    } as Admin;
  }

  producer(options?: ProducerOptions): Producer {
    const id = this.nextId++;
    const opened = this.call('producer.open', id, options);
    return {
      send: async (records: readonly OutgoingRecord[]) => {
        await opened;
        return this.call('producer.send', id, records) as Promise<RecordMetadata[]>;
      },
      flush: async () => {
        await opened;
        await this.call('producer.flush', id);
      },
      close: async () => {
        await opened;
        await this.call('producer.close', id);
      },
    };
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    const id = this.nextId++;
    const consumer = new ThreadConsumer(id, {
      commit: (offsets) => this.call('consumer.commit', id, offsets) as Promise<void>,
      committed: (tps) => this.call('consumer.committed', id, tps) as Promise<TopicPartitionOffset[]>,
      close: async () => {
        await this.call('consumer.close', id).catch(() => undefined);
        this.consumers.delete(id);
      },
    });
    this.consumers.set(id, consumer);
    this.call('consumer.open', id, options).catch((e: Error) => consumer.failed(e));
    return consumer;
  }

  readPartition(tp: TopicPartition, options?: ReadOptions): Observable<readonly BrokerRecord[]> {
    return new Observable((subscriber) => {
      const read = this.nextId++;
      this.reads.set(read, subscriber);
      this.post({ type: 'read', read, tp, options });
      return () => {
        if (this.reads.delete(read)) this.post({ type: 'read-cancel', read });
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new BrokerError('the broker is closed'));
    this.pending.clear();
    this.port.close();
  }

  /** Starts reading one assigned partition (ThreadPartition.batches). */
  subscribe(partition: ThreadPartition, start: StartPosition): void {
    this.partitions.set(partition.id, partition);
    this.post({ type: 'subscribe', partition: partition.id, start });
  }

  unsubscribe(partition: ThreadPartition): void {
    if (this.partitions.delete(partition.id)) this.post({ type: 'unsubscribe', partition: partition.id });
  }

  ack(batch: number): void {
    this.post({ type: 'ack', batch });
  }

  private call<M extends CallMethod>(method: M, ...args: Calls[M]): Promise<never> {
    if (this.closed) return Promise.reject(new BrokerError('the broker is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ type: 'call', id, method, args });
    });
  }

  private post(m: ToService): void {
    if (!this.closed) this.port.postMessage(m);
  }

  private receive(m: ToWorker): void {
    switch (m.type) {
      case 'reply': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(fromWire(m.error));
        else p?.resolve(m.value);
        return;
      }
      case 'assigned':
        {
          const consumer = this.consumers.get(m.consumer);
          consumer?.assigned(new ThreadPartition(this, m.partition, m.tp, consumer.inFlight));
        }
        return;
      case 'assignment':
        this.consumers.get(m.consumer)?.assignmentIs(m.tps);
        return;
      case 'assignments-end':
        this.consumers.get(m.consumer)?.failed(m.error ? fromWire(m.error) : new BrokerError('the group ended'));
        return;
      case 'batch':
        this.partitions.get(m.partition)?.batch(m.batch, m.records);
        return;
      case 'batches-end': {
        const partition = this.partitions.get(m.partition);
        this.partitions.delete(m.partition);
        partition?.end(m.error ? fromWire(m.error) : undefined);
        return;
      }
      case 'chunk':
        this.reads.get(m.read)?.next(m.records);
        return;
      case 'read-end': {
        const subscriber = this.reads.get(m.read);
        this.reads.delete(m.read);
        if (m.error) subscriber?.error(fromWire(m.error));
        else subscriber?.complete();
        return;
      }
      case 'fatal':
        this.fatal$.next(fromWire(m.error) as BrokerError);
        return;
    }
  }
}

interface ConsumerCalls {
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>;
  close(): Promise<void>;
}

/** Batches handed out and not yet acked, and who waits for there to be none. */
class InFlight {
  private count = 0;
  private waiting: Array<() => void> = [];
  /** Set once the consumer closes: no new batch is handed out. */
  closing = false;

  started(): void {
    this.count++;
  }

  ended(): void {
    if (--this.count === 0) for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Resolves once none is in flight, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** As the other adapters: a closing consumer waits this long for its batches in flight to be acked. */
const CLOSE_TIMEOUT_MS = 30_000;

class ThreadConsumer implements GroupConsumer {
  readonly inFlight = new InFlight();
  readonly assignments: Observable<AssignedPartition>;
  readonly assignment: Observable<readonly TopicPartition[]>;
  private readonly subject = new Subject<AssignedPartition>();
  private readonly whole = new ReplaySubject<readonly TopicPartition[]>(1);
  private readonly current = new Set<ThreadPartition>();
  private closing?: Promise<void>;

  constructor(
    readonly id: number,
    private readonly calls: ConsumerCalls,
  ) {
    this.assignment = this.whole.asObservable();
    // Hot, but a late subscriber first gets the partitions held now (as the memory adapter's).
    this.assignments = new Observable<AssignedPartition>((subscriber) => {
      for (const p of this.current) if (!p.ended) subscriber.next(p);
      return this.subject.subscribe(subscriber);
    });
  }

  assigned(partition: ThreadPartition): void {
    if (this.closing) return;
    this.current.add(partition);
    partition.onEnd(() => this.current.delete(partition));
    this.subject.next(partition);
  }

  assignmentIs(tps: readonly TopicPartition[]): void {
    if (!this.closing) this.whole.next(tps);
  }

  failed(error: Error): void {
    this.subject.error(error);
  }

  /**
   * A commit that comes once this consumer is closing is dropped: its partitions are no longer this
   * worker's to commit, and the broker's offsets are advisory (the store's are the truth).
   */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return offsets.length === 0 || this.closing ? Promise.resolve() : this.calls.commit(offsets);
  }

  committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return tps.length === 0 ? Promise.resolve([]) : this.calls.committed(tps);
  }

  /** Waits for the batches in flight to be acked (they commit first), then leaves the group. */
  close(): Promise<void> {
    this.inFlight.closing = true;
    this.closing ??= this.inFlight.drained(CLOSE_TIMEOUT_MS).then(() => this.calls.close()).then(() => {
      for (const p of [...this.current]) p.end();
      this.subject.complete();
      this.whole.complete();
    });
    return this.closing;
  }
}

class ThreadPartition implements AssignedPartition {
  readonly topic: string;
  readonly partition: number;
  ended = false;
  private subscriber?: Subscriber<RecordBatch>;
  private subscribed = false;
  private readonly ending: Array<() => void> = [];
  /** Batches handed out and not acked yet. */
  private readonly unacked = new Set<number>();

  constructor(
    private readonly broker: ThreadBroker,
    readonly id: number,
    tp: TopicPartition,
    private readonly inFlight?: InFlight,
  ) {
    this.topic = tp.topic;
    this.partition = tp.partition;
  }

  batches(start: StartPosition): Observable<RecordBatch> {
    return new Observable<RecordBatch>((subscriber) => {
      if (this.subscribed) {
        subscriber.error(new BrokerError(`${this.topic}/${this.partition}: batches() is subscribed once per assignment`));
        return;
      }
      this.subscribed = true;
      if (this.ended) {
        subscriber.complete();
        return;
      }
      this.subscriber = subscriber;
      this.broker.subscribe(this, start);
      return () => {
        this.subscriber = undefined;
        this.release();
        this.broker.unsubscribe(this);
      };
    });
  }

  batch(id: number, records: readonly BrokerRecord[]): void {
    // A closing consumer takes no new batch: leaving the group releases it, unread.
    if (!this.subscriber || this.inFlight?.closing) return;
    let acked = false;
    this.unacked.add(id);
    this.inFlight?.started();
    this.subscriber.next({
      topic: this.topic,
      partition: this.partition,
      records,
      ack: () => {
        if (acked || !this.unacked.delete(id)) return;
        acked = true;
        this.inFlight?.ended();
        this.broker.ack(id);
      },
    });
  }

  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.ending.push(listener);
  }

  /** A reader that walks away (or a partition that ends) no longer holds its batches in flight. */
  private release(): void {
    for (let n = this.unacked.size; n > 0; n--) this.inFlight?.ended();
    this.unacked.clear();
  }

  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (error) subscriber?.error(error);
    else subscriber?.complete();
    for (const l of this.ending.splice(0)) l();
  }
}

/**
 * `GroupConsumer` of the `memory` adapter of the broker port (`src/broker/Broker.ts`): one member
 * of a consumer group, whose partitions come from `MemoryGroupCoordinator` and whose records come
 * from `PartitionStream`s. No on-disk format of its own (offsets go through the coordinator).
 *
 * `assignments` is hot, but a late subscriber first gets the partitions the member holds now, so
 * subscribing after an `await` loses nothing.
 */
import { Observable, ReplaySubject, Subject, throwError } from 'rxjs';
import type { AssignedPartition, ConsumerOptions, GroupConsumer } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import type { TopicPartition, TopicPartitionOffset } from '../../src/broker/Record.js';
import type { Clock } from '../../src/clock/Clock.js';
import type { GroupMember, MemoryGroupCoordinator } from './MemoryGroupCoordinator.js';
import type { PartitionLog } from './PartitionLog.js';
import { PartitionStream, type Schedule } from './PartitionStream.js';
import { withDeadline } from './withDeadline.js';

export interface ConsumerContext {
  readonly coordinator: MemoryGroupCoordinator;
  readonly clock: Clock;
  readonly schedule: Schedule;
  readonly closeTimeoutMs: number;
  /** The log of a partition; undefined when the topic is gone. */
  log(tp: TopicPartition): PartitionLog | undefined;
  /** Throws `UnknownTopic` / `UnknownPartition` for offsets the cluster cannot hold. */
  checkPartitions(tps: readonly TopicPartition[]): void;
  /** Forgets the member once it is closed (the broker stops tracking it). */
  closed(member: MemoryConsumer): void;
}

const DEFAULT_MAX_BATCH_SIZE = 500;

type State = 'active' | 'closing' | 'closed';

export class MemoryConsumer implements GroupConsumer, GroupMember {
  readonly assignments: Observable<AssignedPartition>;
  readonly assignment: Observable<readonly TopicPartition[]>;
  readonly topics: readonly string[];
  private readonly subject = new Subject<AssignedPartition>();
  private readonly whole = new ReplaySubject<readonly TopicPartition[]>(1);
  private readonly maxBatchSize: number;
  private readonly autoOffsetReset: 'earliest' | 'latest';
  private current: PartitionStream[] = [];
  private state: State = 'active';
  private closing: Promise<void> | undefined;

  constructor(
    readonly memberId: string,
    private readonly options: ConsumerOptions,
    private readonly context: ConsumerContext,
  ) {
    this.topics = [...new Set(options.topics)];
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    this.autoOffsetReset = options.autoOffsetReset ?? 'earliest';
    this.assignment = this.whole.asObservable();
    this.assignments = new Observable<AssignedPartition>((subscriber) => {
      for (const stream of this.current) if (!stream.isRevoked) subscriber.next(stream);
      return this.subject.subscribe(subscriber);
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  get active(): boolean {
    return this.state === 'active';
  }

  get revoking(): boolean {
    return this.current.some((s) => s.isRevoked && !s.isFinished);
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.assertOpen();
    for (const o of offsets) {
      if (!Number.isInteger(o.offset) || o.offset < 0) {
        throw new BrokerError(`cannot commit offset ${o.offset} for ${o.topic}/${o.partition}`);
      }
    }
    this.context.checkPartitions(offsets);
    this.context.coordinator.commit(offsets);
  }

  /** Only the partitions that have a committed offset are in the answer. */
  async committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    this.assertOpen();
    const answer: TopicPartitionOffset[] = [];
    for (const tp of tps) {
      const offset = this.context.coordinator.committed(tp);
      if (offset !== undefined) answer.push({ topic: tp.topic, partition: tp.partition, offset });
    }
    return answer;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state === 'closed') return Promise.resolve();
    this.state = 'closing';
    this.context.coordinator.leaving();
    this.closing = (async () => {
      const streams = this.current;
      const finished = await withDeadline(this.revokeAll(), this.context.closeTimeoutMs, this.context.clock);
      if (!finished) {
        const error = new BrokerError(
          `consumer ${this.memberId} closed with a batch not acked after ${this.context.closeTimeoutMs} ms`,
        );
        for (const s of streams) s.abort(error);
      }
      this.end();
    })();
    return this.closing;
  }

  /** Broker shutdown: no waiting for batches in flight. */
  abort(): void {
    if (this.state === 'closed') return;
    for (const s of this.current) s.abort();
    this.end();
  }

  // --- GroupMember: called by the coordinator -------------------------------------------------

  revokeAll(): Promise<void> {
    const streams = this.current;
    return Promise.all(streams.map((s) => s.revoke())).then(() => {
      if (this.current === streams) this.current = [];
    });
  }

  assign(partitions: readonly TopicPartition[]): void {
    if (this.state !== 'active') return;
    const streams: PartitionStream[] = [];
    for (const tp of partitions) {
      const log = this.context.log(tp);
      if (!log) continue;
      streams.push(
        new PartitionStream(log, {
          maxBatchSize: this.maxBatchSize,
          autoOffsetReset: this.autoOffsetReset,
          schedule: this.context.schedule,
          committed: () => this.context.coordinator.committed(tp),
        }),
      );
    }
    this.current = streams;
    for (const s of streams) this.subject.next(s);
    this.whole.next(streams.map((s) => ({ topic: s.topic, partition: s.partition })));
  }

  expel(error: BrokerError): void {
    if (this.state === 'closed') return;
    for (const s of this.current) s.abort(error);
    this.current = [];
    this.state = 'closed';
    this.context.closed(this);
    this.subject.error(error);
    this.whole.complete();
  }

  private end(): void {
    if (this.state === 'closed') return;
    this.current = [];
    this.state = 'closed';
    this.context.coordinator.remove(this);
    this.context.closed(this);
    this.subject.complete();
    this.whole.complete();
  }

  private assertOpen(): void {
    if (this.state === 'closed') {
      throw new BrokerError(`consumer ${this.memberId} of group ${this.groupId} is closed`);
    }
  }
}

/** A consumer that could not join (e.g. a topic it names does not exist): every call fails so. */
export function failedConsumer(error: BrokerError): GroupConsumer {
  return {
    assignments: throwError(() => error),
    commit: () => Promise.reject(error),
    committed: () => Promise.reject(error),
    close: () => Promise.resolve(),
  };
}

/**
 * The broker port: what the runtime needs of Kafka, and nothing of a client library. Two adapters
 * implement it, `adapters/memory` (the default, tests, simulation) and `adapters/kafka`
 * (node-rdkafka); `spec/broker/brokerContract.ts` is the suite both must pass.
 */
import type { Observable } from 'rxjs';
import type {
  BrokerRecord,
  OutgoingRecord,
  RecordMetadata,
  TopicPartition,
  TopicPartitionOffset,
} from './Record.js';
import type { BrokerError } from './errors.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** -1 keeps forever. */
  readonly retentionMs?: number;
  readonly cleanupPolicy?: CleanupPolicy;
  /** Further topic-level configuration, passed through to Kafka as is. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface TopicDescription {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface Watermarks {
  /** First offset still in the log (retention and compaction move it). */
  readonly low: number;
  /** Offset the next record appended will get. */
  readonly high: number;
}

export interface Admin {
  /** Creates the topics that do not exist yet; an existing topic is left as it is. */
  createTopics(topics: readonly TopicSpec[]): Promise<void>;
  deleteTopics(names: readonly string[]): Promise<void>;
  listTopics(): Promise<TopicDescription[]>;
  describeTopic(name: string): Promise<TopicDescription | undefined>;
  watermarks(tp: TopicPartition): Promise<Watermarks>;
  /** Number of brokers in the cluster, for replication-factor checks. */
  brokerCount(): Promise<number>;
}

/**
 * Business topics want every record acknowledged by all in-sync replicas (`reliable`); logging
 * and metrics trade that for throughput (`fire-and-forget`: acks=0, no confirmation offsets).
 */
export type ProducerProfile = 'reliable' | 'fire-and-forget';

export interface ProducerOptions {
  readonly profile?: ProducerProfile;
  readonly clientId?: string;
}

export interface Producer {
  /**
   * Sends the records, in order per partition, and resolves once the broker confirmed them all
   * (with `fire-and-forget`, once they are handed to the client; offsets are then -1).
   */
  send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Where an assigned partition starts: an exact offset, or the group's committed one. */
export type StartPosition = { readonly offset: number } | 'committed';

export interface ConsumerOptions {
  readonly groupId: string;
  /**
   * Read as co-partitioned: a member given partition p of one of them is given partition p of every
   * other of as many partitions (an entity's inputs, keyed alike), as Kafka's range assignor does.
   */
  readonly topics: readonly string[];
  readonly clientId?: string;
  /** Most records in one batch. */
  readonly maxBatchSize?: number;
  /** Where to start without a committed offset, or when the offset is out of range. */
  readonly autoOffsetReset?: 'earliest' | 'latest';
}

/**
 * A batch of consecutive records of one partition. The owner calls `ack()` once it has finished
 * with the batch (processed and committed); the adapter hands out no further batch of that
 * partition before, and does not give the partition up in a rebalance before either.
 */
export interface RecordBatch extends TopicPartition {
  readonly records: readonly BrokerRecord[];
  ack(): void;
}

export interface AssignedPartition extends TopicPartition {
  /**
   * The partition's records in batches from `start`. Subscribe once per assignment. Completes
   * when the partition is revoked (after the batch in flight is acked) or the consumer closes.
   */
  batches(start: StartPosition): Observable<RecordBatch>;
}

/** One member of a consumer group. */
export interface GroupConsumer {
  /** Every partition given to this member, each time it is given (again after a rebalance). */
  readonly assignments: Observable<AssignedPartition>;
  /**
   * After each rebalance this member took part in, every partition it holds from then on (empty
   * when it was given none: another member holds them all). Emitted once the partitions new to it
   * went out on `assignments`. Optional: without it, a member knows it joined only once it got a
   * partition.
   */
  readonly assignment?: Observable<readonly TopicPartition[]>;
  /** Advisory offsets (next offset to read) stored in the group. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /** Leaves the group: in-flight batches are allowed to finish, then every partition completes. */
  close(): Promise<void>;
}

export interface ReadOptions {
  /** First offset to read (default: the low watermark; below it, reading starts there). */
  readonly from?: number;
  /** Most records in one emitted array. */
  readonly maxBatchSize?: number;
}

export interface Broker {
  readonly name: string;
  readonly admin: Admin;
  producer(options?: ProducerOptions): Producer;
  consumer(options: ConsumerOptions): GroupConsumer;
  /**
   * Reads one partition outside any consumer group — restoring state from a changelog, a tool —
   * from `from` up to the high watermark as it was when the read started, in arrays of records in
   * offset order, then completes. Nothing is committed anywhere.
   */
  readPartition(tp: TopicPartition, options?: ReadOptions): Observable<readonly BrokerRecord[]>;
  /**
   * Errors after which a client of this broker cannot go on and no retry can help (Kafka:
   * librdkafka's fatal errors, e.g. an idempotent producer fenced). The process should end.
   */
  readonly fatalErrors?: Observable<BrokerError>;
  /** Releases every client the broker object holds. */
  close(): Promise<void>;
}

/**
 * A stage is anything that consumes topics under the commit protocol of SPEC §1: an actor host,
 * a repartitioner, a read-model projection, a sink. The StageRunner owns the protocol; a stage
 * only says what a batch means.
 */
import type { BrokerRecord } from '../broker/Record.js';
import type { OutboxRecord, SnapshotWrite, StoreTransaction } from '../store/StateStore.js';

/** What processing one batch produced, to be made durable in ONE transaction. */
export interface BatchWork {
  readonly snapshots?: readonly SnapshotWrite[];
  readonly outbox?: readonly OutboxRecord[];
  /** Further writes inside the transaction (read models, sink positions). */
  readonly extra?: (tx: StoreTransaction) => void;
  /**
   * Offset (next to read) to store for the partition, when the stage has not made the whole batch
   * durable yet (a sink buffering into a file it has not committed). Default: after the batch.
   */
  readonly offset?: number;
  /** The transaction committed: in-memory state may now be relied on (and passivated). */
  readonly committed?: () => void;
}

export interface BatchContext {
  /** Offsets the runner has given up on: the stage must skip them (the runner dead-letters them). */
  readonly skip: ReadonlySet<number>;
  /** Sends a record that cannot be processed to the dead-letter topic, with the reason. */
  deadLetter(record: BrokerRecord, reason: string): void;
}

/**
 * Lets a stage commit work that no input record caused (a delayed transition firing): steps 3–4
 * of the protocol without offsets.
 */
export interface LocalCommitter {
  commitLocal(work: BatchWork): Promise<void>;
  /** Whether a partition (by number, over the stage's co-partitioned topics) is assigned here. */
  owns(partition: number): boolean;
}

export interface Stage {
  /** Unique per state store; also names the consumer group (`kastor.<name>`). */
  readonly name: string;
  readonly topics: readonly string[];
  /**
   * Every instance reads every partition of the stage's topics, in a group of its own
   * (`kastor.<name>.<instance>`, RuntimeOptions.instance), as Kafka Streams' GlobalKTable: for a
   * read model each instance keeps whole, so that any instance answers any key. Default: the
   * instances share one group and each holds a share of the partitions.
   */
  readonly everyInstance?: boolean;
  /**
   * Whether batches of several partitions may be processed one after the other and committed in
   * one transaction (StageRunner's group commit): `process` must not rely on an earlier batch being
   * committed, and `abort` must undo every batch since the last commit.
   */
  readonly groupCommit?: boolean;
  /**
   * The compacted topic this stage's state is backed by (ChangelogRecords.ts): the stage puts its
   * state records in its outbox, the runner adds the offset markers and, for a partition the store
   * knows nothing of, restores the state from it before reading the partition.
   */
  readonly changelog?: string;
  /** Steps 1–2 of the protocol, synchronously. Throws RecordFailed to name a failing record. */
  process(records: readonly BrokerRecord[], context: BatchContext): BatchWork;
  /** Processing or the transaction failed: forget every in-memory change of the current batch. */
  abort?(): void;
  /** The runner is starting: the stage may keep the committer for work of its own. */
  attach?(committer: LocalCommitter): void;
  /** A partition was given to this stage. */
  assigned?(topic: string, partition: number): void;
  /** A partition was taken away: drop what is held for it (its state is in the store). */
  revoked?(topic: string, partition: number): void;
  close?(): void;
}

/** A record whose processing failed; the runner retries the batch, then dead-letters the record. */
export class RecordFailed extends Error {
  constructor(readonly record: BrokerRecord, readonly reason: string, cause?: unknown) {
    super(`record ${record.topic}/${record.partition}@${record.offset} failed: ${reason}`, { cause });
    this.name = 'RecordFailed';
  }
}

/**
 * The state store port: where a stage keeps what the commit protocol (SPEC §1) makes durable —
 * actor snapshots, the outbox and the consumed offsets — written together in one transaction.
 * Synchronous on purpose: the protocol's steps 1–3 run in one tick, so no other batch can see an
 * actor between its change and its snapshot. `adapters/sqlite/SqliteStateStore.ts` implements it.
 */
import type { Headers, TopicPartition, TopicPartitionOffset } from '../broker/Record.js';

export interface StoredSnapshot {
  /** The actor's persisted snapshot, JSON. */
  readonly snapshot: string;
  /** Ids of the last events the actor applied, JSON array, to drop redelivered duplicates. */
  readonly seen: string;
}

export interface SnapshotWrite extends StoredSnapshot {
  readonly key: string;
  /** Partition the key belongs to, and when its earliest pending timer is due (null: none). */
  readonly timer?: { readonly partition: number; readonly due: number | null };
}

/** A key with a pending delayed transition, for waking passivated actors. */
export interface DueTimer {
  readonly key: string;
  readonly partition: number;
  readonly due: number;
}

export interface OutboxRecord {
  readonly topic: string;
  /** Set for records that must land on a given partition (changelogs); else by key. */
  readonly partition?: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Headers;
}

export interface OutboxRow extends OutboxRecord {
  readonly seq: number;
}

/** Everything one batch makes durable. */
export interface BatchCommit {
  readonly snapshots: readonly SnapshotWrite[];
  readonly outbox: readonly OutboxRecord[];
  readonly offsets: readonly TopicPartitionOffset[];
}

/**
 * What a stage can do inside the batch transaction besides the standard writes: read models and
 * sinks write their own rows here so that they commit atomically with the offsets.
 */
export interface StoreTransaction {
  run(sql: string, params?: readonly unknown[] | Record<string, unknown>): void;
  get<T>(sql: string, params?: readonly unknown[] | Record<string, unknown>): T | undefined;
}

export interface StageStore {
  readonly stage: string;
  loadSnapshot(key: string): StoredSnapshot | undefined;
  /** Keys of the stored snapshots that start with `prefix`, in order, at most `limit` (the console's search). */
  keysWithPrefix(prefix: string, limit: number): string[];
  /** Offsets (next to read) stored for these partitions; absent when the stage never read one. */
  offsets(tps: readonly TopicPartition[]): Map<string, number>;
  /**
   * Step 3 of the commit protocol: snapshots, outbox rows and offsets in ONE transaction; `extra`
   * runs inside it. Returns the sequence numbers of the outbox rows, in the order given.
   */
  commit(batch: BatchCommit, extra?: (tx: StoreTransaction) => void): number[];
  /** Rows written but not yet confirmed sent (re-sent on start). */
  pendingOutbox(limit?: number): OutboxRow[];
  /** Step 4's tail: forget rows the broker confirmed. */
  deleteOutbox(seqs: readonly number[]): void;
  deleteSnapshot(key: string): void;
  /** Keys with pending timers, earliest first. */
  dueTimers(limit: number): DueTimer[];
}

export interface StateStore {
  stage(name: string): StageStore;
  close(): void;
}

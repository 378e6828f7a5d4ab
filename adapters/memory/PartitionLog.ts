/**
 * One partition of the `memory` adapter of the broker port (`src/broker/Broker.ts`): an
 * append-only log of records ordered by offset. On disk it is mirrored by `LogJournal.ts`
 * (JSON Lines); this class only knows memory.
 *
 * The records live in one array; `head` is the index of the first live one, so retention drops
 * from the front in O(1) and the array is shrunk only now and then. Offsets are contiguous on
 * append; compaction leaves gaps, so a lookup by offset tries the dense position first and falls
 * back to a binary search on the records' own offsets.
 *
 * Watermarks follow Kafka: `low` is the log start offset, moved by retention only (compaction keeps
 * it, a reader in a compacted gap simply moves on to the next record); `high` is the offset the
 * next append gets, and never goes back, even when compaction removes the last records.
 */
import { type BrokerRecord, type Headers, NO_HEADERS } from '../../src/broker/Record.js';

/** What the journal hands back on start-up, and what a rewrite of the journal stores. */
export interface PartitionLogState {
  readonly logStartOffset: number;
  readonly nextOffset: number;
  readonly records: BrokerRecord[];
}

/** Shared by every record sent without headers: one object instead of a million. */
export const EMPTY_HEADERS: Headers = NO_HEADERS;

/** Shrink the array once this many dropped slots sit in front of the live records. */
const SHRINK_AFTER = 4096;

export class PartitionLog {
  private records: BrokerRecord[];
  private head = 0;
  private logStartOffset: number;
  private nextOffset: number;
  private waiters: (() => void)[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    state?: PartitionLogState,
  ) {
    this.records = state?.records ?? [];
    this.logStartOffset = state?.logStartOffset ?? 0;
    const last = this.records[this.records.length - 1];
    this.nextOffset = Math.max(state?.nextOffset ?? 0, last ? last.offset + 1 : 0);
  }

  get low(): number {
    return this.logStartOffset;
  }

  get high(): number {
    return this.nextOffset;
  }

  /** Records held (after retention and compaction). */
  get size(): number {
    return this.records.length - this.head;
  }

  /** The live records, oldest first; for journal rewrites and the broker's `read`. */
  live(): readonly BrokerRecord[] {
    return this.head === 0 ? this.records : this.records.slice(this.head);
  }

  /**
   * Appends records whose offsets the caller took from `high` (the producer builds them so that
   * the journal can write them before they become visible). Wakes every reader waiting for data.
   */
  append(records: readonly BrokerRecord[]): void {
    if (records.length === 0) return;
    if (records[0].offset !== this.nextOffset) {
      throw new Error(`append at ${records[0].offset} on ${this.topic}/${this.partition}, expected ${this.nextOffset}`);
    }
    for (let i = 0; i < records.length; i++) this.records.push(records[i]);
    this.nextOffset = records[records.length - 1].offset + 1;
    if (this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Up to `max` consecutive records from the first one at or after `from`. Copies only the slice
   * handed out.
   */
  read(from: number, max: number): BrokerRecord[] {
    const i = this.indexOf(from);
    if (i >= this.records.length) return [];
    return this.records.slice(i, Math.min(this.records.length, i + max));
  }

  /** Calls `wake` once, on the next append. Readers that caught up register here: no polling. */
  onAppend(wake: () => void): void {
    this.waiters.push(wake);
  }

  /** Forgets a reader registered with `onAppend` (the reader went away before the append). */
  offAppend(wake: () => void): void {
    const i = this.waiters.indexOf(wake);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /**
   * Retention: drops records from the head while their timestamp is before `before` (Kafka deletes
   * from the oldest end only, so a late old timestamp behind a newer record stays). Returns how
   * many were dropped.
   */
  dropBefore(before: number): number {
    let i = this.head;
    while (i < this.records.length && this.records[i].timestamp < before) i++;
    const dropped = i - this.head;
    if (dropped === 0) return 0;
    this.head = i;
    this.logStartOffset = i < this.records.length ? this.records[i].offset : this.nextOffset;
    if (this.head >= SHRINK_AFTER && this.head * 2 >= this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /**
   * Compaction: keeps only the latest record of each key; a tombstone (null value) that is the
   * latest of its key goes too once it is older than `dropTombstonesBefore`, so readers had
   * `delete.retention.ms` to see it. Offsets of the kept records do not change. Returns how many
   * records were removed.
   */
  compact(dropTombstonesBefore: number): number {
    const latest = new Map<string | null, number>();
    for (let i = this.head; i < this.records.length; i++) latest.set(this.records[i].key, i);
    const kept: BrokerRecord[] = [];
    for (let i = this.head; i < this.records.length; i++) {
      const r = this.records[i];
      if (latest.get(r.key) !== i) continue;
      if (r.value === null && r.timestamp < dropTombstonesBefore) continue;
      kept.push(r);
    }
    const removed = this.size - kept.length;
    if (removed > 0) {
      this.records = kept;
      this.head = 0;
    }
    return removed;
  }

  /** Index in `records` of the first live record with an offset at or after `offset`. */
  private indexOf(offset: number): number {
    const records = this.records;
    const first = records[this.head];
    if (!first || offset <= first.offset) return this.head;
    const dense = this.head + (offset - first.offset);
    if (dense < records.length && records[dense].offset === offset) return dense;
    let lo = this.head;
    let hi = records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (records[mid].offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

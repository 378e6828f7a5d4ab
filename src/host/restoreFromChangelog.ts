/**
 * Rebuilds a stage's state for one partition from its changelog topic (ChangelogRecords.ts) into
 * the state store: the state the partition had at its last offset marker, and the input offsets
 * that state reflects, so that the runner goes on from there — on a fresh disk, or on the instance
 * a partition moved to. Snapshots are written in chunks, latest per key; the offsets last, in the
 * final transaction: a restore cut short leaves no offsets and is simply done again. From `from`
 * on (a store that holds the state up to there: ChangelogBacking), the same, and the position the
 * store then holds (the changelog topic's own offset) moves to the changelog's end.
 */
import type { Subscription } from 'rxjs';
import type { Broker } from '../broker/Broker.js';
import type { TopicPartitionOffset } from '../broker/Record.js';
import type { SnapshotWrite, StageStore } from '../store/StateStore.js';
import { readChangelogRecord } from './ChangelogRecords.js';

export interface RestoreReport {
  readonly records: number;
  /** Actors whose state was written (deleted ones included). */
  readonly actors: number;
  readonly offsets: readonly TopicPartitionOffset[];
  /** Records after the last marker: a send cut off by a crash, not applied. */
  readonly dropped: number;
}

const CHUNK = 10_000;

export async function restoreFromChangelog(broker: Broker, store: StageStore, changelog: string, partition: number, from = 0): Promise<RestoreReport> {
  /** Since the last marker: applied only once a marker vouches for it. */
  let pending = new Map<string, SnapshotWrite | null>();
  /** Vouched for, not yet written. */
  let ready = new Map<string, SnapshotWrite | null>();
  const offsets = new Map<string, TopicPartitionOffset>();
  let records = 0;
  let end = from;
  let actors = 0;
  const write = (entries: Map<string, SnapshotWrite | null>, last: boolean) => {
    const snapshots: SnapshotWrite[] = [];
    for (const [key, w] of entries) {
      if (w) snapshots.push(w);
      else store.deleteSnapshot(key);
    }
    actors += entries.size;
    store.commit({ snapshots, outbox: [], offsets: last ? [...offsets.values(), { topic: changelog, partition, offset: end }] : [] });
  };
  await new Promise<void>((resolve, reject) => {
    let subscription: Subscription | undefined;
    subscription = broker.readPartition({ topic: changelog, partition }, { from }).subscribe({
      next: (chunk) => {
        try {
          for (const record of chunk) {
            records++;
            end = record.offset + 1;
            const entry = readChangelogRecord(record);
            if (entry.kind === 'offset') {
              offsets.set(entry.offset.topic, entry.offset);
              for (const [key, w] of pending) ready.set(key, w);
              pending = new Map();
              if (ready.size >= CHUNK) {
                write(ready, false);
                ready = new Map();
              }
            } else {
              pending.set(entry.kind === 'state' ? entry.write.key : entry.key, entry.kind === 'state' ? entry.write : null);
            }
          }
        } catch (e) {
          subscription?.unsubscribe();
          reject(e);
        }
      },
      error: reject,
      complete: resolve,
    });
  });
  write(ready, true);
  return { records, actors, offsets: [...offsets.values()], dropped: pending.size };
}

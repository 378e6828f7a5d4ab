/**
 * What a StageRunner does for a stage whose state a changelog topic backs (Stage.changelog,
 * ChangelogRecords.ts): offset markers after the state records of every commit, and the restore of
 * a partition before it is read, once for all the stage's topics:
 * - a partition the store knows nothing of (a fresh disk, a partition new here): the whole
 *   changelog partition;
 * - a partition the store knows: what the changelog holds past the position this store last
 *   stored for it (its own sends, stored with the next commit as the offset of the changelog
 *   topic), as Kafka Streams restores a task from its checkpoint. Nothing when the changelog ends
 *   there; another instance's state when the partition was processed elsewhere meanwhile (it
 *   moved away and came back): replaying the inputs from the stale offsets instead would read the
 *   co-partitioned topics out of their order (a like before the post it likes was created).
 */
import type { Broker } from '../broker/Broker.js';
import { type RecordMetadata, type TopicPartitionOffset, tpKey } from '../broker/Record.js';
import type { Clock } from '../clock/Clock.js';
import type { Logger } from '../log/Logger.js';
import type { OutboxRecord, StageStore } from '../store/StateStore.js';
import { offsetMarker } from './ChangelogRecords.js';
import { restoreFromChangelog } from './restoreFromChangelog.js';

export interface ChangelogBackingOptions {
  readonly changelog: string;
  /** The stage's input topics (co-partitioned with the changelog). */
  readonly topics: readonly string[];
  readonly broker: Broker;
  readonly store: StageStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Waits before a retry of a failed restore (the runner's clock-driven sleep and backoff). */
  readonly backoff: (attempt: number) => Promise<void>;
  /** Whether retrying still makes sense (the runner is running). */
  readonly running: () => boolean;
}

const RESTORE_ATTEMPTS = 5;

export class ChangelogBacking {
  private readonly restores = new Map<number, Promise<void>>();
  private inProgress = 0;
  /** Where the changelog partitions end after this stage's own sends, not yet stored. */
  private readonly ends = new Map<number, number>();

  constructor(private readonly options: ChangelogBackingOptions) {}

  /** Whether a partition is being restored (readiness waits for it). */
  get restoring(): boolean {
    return this.inProgress > 0;
  }

  /** The marker that follows a commit's state records for the partition of `offset`. */
  marker(offset: TopicPartitionOffset): OutboxRecord {
    return offsetMarker(this.options.changelog, offset);
  }

  /**
   * State that changed without input (a timer) is vouched for by markers of the offsets already
   * stored for its partitions, so that a restore does not take it for a send cut short.
   */
  localMarkers(outbox: readonly OutboxRecord[]): OutboxRecord[] {
    const { changelog, topics, store } = this.options;
    const partitions = new Set<number>();
    for (const r of outbox) if (r.topic === changelog && r.partition !== undefined) partitions.add(r.partition);
    const tps = [...partitions].flatMap((partition) => topics.map((topic) => ({ topic, partition })));
    const stored = store.offsets(tps);
    return tps.filter((tp) => stored.has(tpKey(tp))).map((tp) => this.marker({ ...tp, offset: stored.get(tpKey(tp))! }));
  }

  /** Notes where this stage's sends landed on its changelog. */
  delivered(records: readonly RecordMetadata[]): void {
    for (const r of records) {
      if (r.topic !== this.options.changelog || r.offset === undefined || r.offset < 0) continue;
      this.ends.set(r.partition, Math.max(this.ends.get(r.partition) ?? 0, r.offset + 1));
    }
  }

  /** The changelog positions to store with the next commit (taken: a lost one only means a longer restore). */
  positions(): TopicPartitionOffset[] {
    const out = [...this.ends].map(([partition, offset]) => ({ topic: this.options.changelog, partition, offset }));
    this.ends.clear();
    return out;
  }

  /** Restores the partition: all of it when the store knows nothing of it, else what is past its stored position. */
  restore(partition: number): Promise<void> {
    let restoring = this.restores.get(partition);
    if (!restoring) {
      const { store, topics, changelog } = this.options;
      const known = store.offsets(topics.map((topic) => ({ topic, partition })));
      restoring = known.size === 0 ? this.restoreFrom(partition, 0) : this.catchUp(partition, store.offsets([{ topic: changelog, partition }]).get(tpKey({ topic: changelog, partition })) ?? 0);
      this.restores.set(partition, restoring);
    }
    return restoring;
  }

  /** Applies what the changelog holds past `from`, if anything. */
  private async catchUp(partition: number, from: number): Promise<void> {
    const { high } = await this.options.broker.admin.watermarks({ topic: this.options.changelog, partition });
    if (high > from) await this.restoreFrom(partition, from);
  }

  /** The partition was taken away: a later assignment looks at the store again. */
  forget(partition: number): void {
    this.restores.delete(partition);
  }

  private async restoreFrom(partition: number, from: number): Promise<void> {
    const { changelog, broker, store, clock, log } = this.options;
    this.inProgress++;
    const started = clock.now();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const report = await restoreFromChangelog(broker, store, changelog, partition, from);
          if (report.records > 0) {
            log.info('partition restored from its changelog', {
              changelog, partition, from, records: report.records, actors: report.actors, dropped: report.dropped,
              offsets: report.offsets.map((o) => `${o.topic}@${o.offset}`), ms: clock.now() - started,
            });
          }
          return;
        } catch (e) {
          if (attempt >= RESTORE_ATTEMPTS || !this.options.running()) throw e;
          log.warn('restore from changelog failed, retrying', { changelog, partition, attempt, error: e });
          await this.options.backoff(attempt);
        }
      }
    } finally {
      this.inProgress--;
    }
  }
}

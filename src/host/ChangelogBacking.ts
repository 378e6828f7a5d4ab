/**
 * What a StageRunner does for a stage whose state a changelog topic backs (Stage.changelog,
 * ChangelogRecords.ts): offset markers after the state records of every commit, and the restore of
 * a partition the store knows nothing of — a fresh disk, or a partition that moved here from
 * another instance — before the partition is read, once for all the stage's topics.
 */
import type { Broker } from '../broker/Broker.js';
import { type TopicPartitionOffset, tpKey } from '../broker/Record.js';
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

  /** Restores the partition unless the store has an offset for one of the stage's topics there. */
  restore(partition: number): Promise<void> {
    const known = this.options.store.offsets(this.options.topics.map((topic) => ({ topic, partition })));
    if (known.size > 0) return Promise.resolve();
    let restoring = this.restores.get(partition);
    if (!restoring) {
      restoring = this.restoreFrom(partition);
      this.restores.set(partition, restoring);
    }
    return restoring;
  }

  /** The partition was taken away: a later assignment looks at the store again. */
  forget(partition: number): void {
    this.restores.delete(partition);
  }

  private async restoreFrom(partition: number): Promise<void> {
    const { changelog, broker, store, clock, log } = this.options;
    this.inProgress++;
    const started = clock.now();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const report = await restoreFromChangelog(broker, store, changelog, partition);
          if (report.records > 0) {
            log.info('partition restored from its changelog', {
              changelog, partition, records: report.records, actors: report.actors, dropped: report.dropped,
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

/**
 * The group coordinator of the `memory` adapter of the broker port (`src/broker/Broker.ts`): one
 * per group id. It keeps the members, hands out partitions with the RangeAssignor, and stores the
 * group's committed offsets (persisted by `LogJournal.ts` as `groups/<group>.json` when the broker
 * has a `dir`).
 *
 * Offsets committed to a broker are advisory in kastor (each stage's SQLite offsets are the truth),
 * and rewriting the group's file on every commit took 14–27 % of `kastor run social`'s CPU under
 * load (BENCHMARKS.md, benchmark 5). So they go to disk at most once per `OFFSETS_SAVE_INTERVAL_MS`
 * of the group's clock: a commit writes them when the last write is that old; a member leaving and
 * the broker closing write what is left. No timer is armed for the rest (a virtual clock moves only
 * for what the application waits on), so a process killed after a burst comes back with the
 * offsets of up to one interval before its last commit, as Kafka's auto-commit can.
 *
 * Rebalances are eager, as with Kafka's classic protocol: when a member joins or leaves, or a
 * subscribed topic appears or goes, every member's partitions are revoked (each one completes once
 * its batch in flight is acked), and only then is the new assignment handed out. A member that
 * does not let go within `rebalanceTimeoutMs` is expelled from the group, as Kafka does with one
 * past `max.poll.interval.ms`. Every step runs from the injected scheduler, never in the caller's
 * stack; changes that arrive during a rebalance fold into it.
 */
import { BrokerError } from '../../src/broker/errors.js';
import type { TopicPartition } from '../../src/broker/Record.js';
import { tpKey } from '../../src/broker/Record.js';
import type { Clock } from '../../src/clock/Clock.js';
import type { Schedule } from './PartitionStream.js';
import { rangeAssign } from './rangeAssign.js';
import { withDeadline } from './withDeadline.js';

/** What the coordinator needs of a member (implemented by `MemoryConsumer`). */
export interface GroupMember {
  readonly memberId: string;
  readonly topics: readonly string[];
  /** Still wants partitions (false once it started to close). */
  readonly active: boolean;
  /** Revokes every partition it holds; resolves when all have completed. */
  revokeAll(): Promise<void>;
  /** Whether `revokeAll` is still waiting on a batch in flight. */
  readonly revoking: boolean;
  assign(partitions: readonly TopicPartition[]): void;
  expel(error: BrokerError): void;
}

export interface GroupContext {
  readonly clock: Clock;
  readonly schedule: Schedule;
  readonly rebalanceTimeoutMs: number;
  /** Partition count of a topic, undefined when it does not exist. */
  partitionsOf(topic: string): number | undefined;
  /** Persists the group's offsets (no-op without a `dir`). */
  saveOffsets(groupId: string, offsets: ReadonlyMap<string, number>): void;
}

/** The most often a group's committed offsets are written to disk, on the group's clock. */
export const OFFSETS_SAVE_INTERVAL_MS = 1_000;

export class MemoryGroupCoordinator {
  private readonly members = new Map<string, GroupMember>();
  private rebalancing = false;
  private requested = false;
  private savedAt = -Infinity;
  private unsaved = false;

  constructor(
    readonly groupId: string,
    private readonly context: GroupContext,
    private readonly offsets: Map<string, number> = new Map(),
  ) {}

  join(member: GroupMember): void {
    this.members.set(member.memberId, member);
    this.requestRebalance();
  }

  /** A member starts to leave: the others rebalance without it (it is still waited for). */
  leaving(): void {
    this.saveUnsaved();
    this.requestRebalance();
  }

  /** A member is gone for good (closed, or the broker closes). */
  remove(member: GroupMember): void {
    this.members.delete(member.memberId);
    this.saveUnsaved();
  }

  /** Topics were created or deleted: rebalance if any member subscribes to one of them. */
  topicsChanged(names: readonly string[]): void {
    for (const m of this.members.values()) {
      if (m.active && m.topics.some((t) => names.includes(t))) return this.requestRebalance();
    }
  }

  forgetTopics(names: readonly string[]): void {
    let changed = false;
    for (const key of [...this.offsets.keys()]) {
      if (names.includes(key.slice(0, key.lastIndexOf('/')))) {
        this.offsets.delete(key);
        changed = true;
      }
    }
    if (changed) this.save();
  }

  commit(offsets: readonly { topic: string; partition: number; offset: number }[]): void {
    for (const o of offsets) this.offsets.set(tpKey(o), o.offset);
    this.unsaved = true;
    if (this.context.clock.now() - this.savedAt >= OFFSETS_SAVE_INTERVAL_MS) this.save();
  }

  committed(tp: TopicPartition): number | undefined {
    return this.offsets.get(tpKey(tp));
  }

  private save(): void {
    this.context.saveOffsets(this.groupId, this.offsets);
    this.savedAt = this.context.clock.now();
    this.unsaved = false;
  }

  private saveUnsaved(): void {
    if (this.unsaved) this.save();
  }

  private requestRebalance(): void {
    this.requested = true;
    if (this.rebalancing) return;
    this.rebalancing = true;
    this.context.schedule(() => void this.rebalance());
  }

  private async rebalance(): Promise<void> {
    try {
      while (this.requested) {
        this.requested = false;
        await this.revokeEveryone();
        if (this.requested) continue;
        this.assign();
      }
    } finally {
      this.rebalancing = false;
    }
  }

  private async revokeEveryone(): Promise<void> {
    const members = [...this.members.values()];
    const revoked = Promise.all(members.map((m) => m.revokeAll()));
    if (await withDeadline(revoked, this.context.rebalanceTimeoutMs, this.context.clock)) return;
    for (const m of members) {
      if (!m.revoking) continue;
      this.members.delete(m.memberId);
      this.saveUnsaved();
      m.expel(
        new BrokerError(
          `member ${m.memberId} was removed from group ${this.groupId}: a batch was not acked within ` +
            `the rebalance timeout (${this.context.rebalanceTimeoutMs} ms)`,
        ),
      );
    }
  }

  private assign(): void {
    const active = [...this.members.values()].filter((m) => m.active);
    const assignment = rangeAssign(active, (t) => this.context.partitionsOf(t));
    for (const m of active) m.assign(assignment.get(m.memberId) ?? []);
  }
}

/**
 * The state behind the `memory` adapter of the broker port (`src/broker/Broker.ts`): topics and
 * their partition logs, consumer groups and their offsets, and the optional `LogJournal` that
 * mirrors all of it on disk (see that file for the layout). `MemoryAdmin`, `MemoryProducer` and
 * `MemoryConsumer` act on it; `MemoryBroker` wires it up.
 */
import type { TopicSpec } from '../../src/broker/Broker.js';
import { BrokerError, InvalidTopicSpec, UnknownPartition, UnknownTopic } from '../../src/broker/errors.js';
import type { BrokerRecord, TopicPartition } from '../../src/broker/Record.js';
import type { Clock } from '../../src/clock/Clock.js';
import type { LogJournal } from './LogJournal.js';
import { MemoryGroupCoordinator } from './MemoryGroupCoordinator.js';
import { assertValidTopicSpecs, collisionKey, MemoryTopic } from './MemoryTopic.js';
import type { PartitionLog } from './PartitionLog.js';
import type { Schedule } from './PartitionStream.js';

export interface ClusterSettings {
  readonly clock: Clock;
  readonly schedule: Schedule;
  readonly brokers: number;
  readonly rebalanceTimeoutMs: number;
  readonly journal?: LogJournal;
}

export interface MaintenanceReport {
  /** Records dropped by retention or compaction. */
  readonly removedRecords: number;
  /** Partitions whose log (and journal, with a `dir`) changed. */
  readonly changedPartitions: number;
}

export class MemoryCluster {
  private readonly topics = new Map<string, MemoryTopic>();
  private readonly groups = new Map<string, MemoryGroupCoordinator>();
  private closed = false;

  constructor(readonly settings: ClusterSettings) {
    const journal = settings.journal;
    for (const spec of journal?.loadTopics() ?? []) {
      this.topics.set(spec.name, new MemoryTopic(spec, (p) => journal!.loadPartition(spec.name, p)));
    }
    for (const [groupId, offsets] of journal?.loadGroups() ?? []) this.group(groupId, offsets);
  }

  get clock(): Clock {
    return this.settings.clock;
  }

  assertOpen(): void {
    if (this.closed) throw new BrokerError('the memory broker is closed');
  }

  topic(name: string): MemoryTopic | undefined {
    return this.topics.get(name);
  }

  requireTopic(name: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (!topic) throw new UnknownTopic(name);
    return topic;
  }

  requireLog(tp: TopicPartition): PartitionLog {
    const topic = this.requireTopic(tp.topic);
    const log = topic.logs[tp.partition];
    if (!Number.isInteger(tp.partition) || !log) throw new UnknownPartition(tp.topic, tp.partition);
    return log;
  }

  topicList(): MemoryTopic[] {
    return [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  createTopics(specs: readonly TopicSpec[]): void {
    assertValidTopicSpecs(specs, this.settings.brokers);
    const fresh = new Map<string, TopicSpec>();
    for (const spec of specs) if (!this.topics.has(spec.name) && !fresh.has(spec.name)) fresh.set(spec.name, spec);
    const taken = new Map([...this.topics.keys()].map((n) => [collisionKey(n), n]));
    for (const name of fresh.keys()) {
      const other = taken.get(collisionKey(name));
      if (other !== undefined) {
        throw new InvalidTopicSpec(`topic ${name} collides with ${other}: names may not differ only in '.' and '_'`);
      }
      taken.set(collisionKey(name), name);
    }
    if (fresh.size === 0) return;
    for (const spec of fresh.values()) this.topics.set(spec.name, new MemoryTopic(normalise(spec)));
    this.saveTopics();
    for (const g of this.groups.values()) g.topicsChanged([...fresh.keys()]);
  }

  deleteTopics(names: readonly string[]): void {
    for (const name of names) this.requireTopic(name);
    for (const name of names) {
      const topic = this.topics.get(name);
      if (!topic) continue;
      this.topics.delete(name);
      for (const log of topic.logs) this.settings.journal?.deletePartition(name, log.partition);
    }
    this.saveTopics();
    for (const g of this.groups.values()) {
      g.forgetTopics(names);
      g.topicsChanged(names);
    }
  }

  /**
   * Makes records visible: journal first (so that a confirmed record is on disk), then the log,
   * which wakes its readers. `records` are consecutive from the log's high watermark.
   */
  append(log: PartitionLog, records: readonly BrokerRecord[]): void {
    this.settings.journal?.append(log.topic, log.partition, records);
    log.append(records);
  }

  group(groupId: string, saved?: Map<string, number>): MemoryGroupCoordinator {
    let group = this.groups.get(groupId);
    if (!group) {
      const settings = this.settings;
      group = new MemoryGroupCoordinator(
        groupId,
        {
          clock: settings.clock,
          schedule: settings.schedule,
          rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
          partitionsOf: (t) => this.topics.get(t)?.partitions,
          saveOffsets: (id, offsets) => settings.journal?.saveGroup(id, offsets),
        },
        saved,
      );
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** Retention and compaction over every topic, at the clock's now. */
  maintain(): MaintenanceReport {
    const now = this.clock.now();
    let removedRecords = 0;
    let changedPartitions = 0;
    for (const topic of this.topics.values()) {
      for (const { log, removed } of topic.maintain(now)) {
        removedRecords += removed;
        changedPartitions++;
        this.settings.journal?.rewrite(log.topic, log.partition, {
          logStartOffset: log.low,
          nextOffset: log.high,
          records: log.live(),
        });
      }
    }
    return { removedRecords, changedPartitions };
  }

  close(): void {
    this.closed = true;
    this.settings.journal?.close();
  }

  private saveTopics(): void {
    this.settings.journal?.saveTopics([...this.topics.values()].map((t) => t.spec));
  }
}

/** Keeps only what the spec says (callers may pass richer objects, e.g. config declarations). */
function normalise(spec: TopicSpec): TopicSpec {
  return {
    name: spec.name,
    partitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    ...(spec.retentionMs !== undefined ? { retentionMs: spec.retentionMs } : {}),
    ...(spec.cleanupPolicy !== undefined ? { cleanupPolicy: spec.cleanupPolicy } : {}),
    ...(spec.config !== undefined ? { config: { ...spec.config } } : {}),
  };
}

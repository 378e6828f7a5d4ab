/**
 * The `memory` adapter of the broker port (`src/broker/Broker.ts`): a Kafka-like partitioned log
 * in the process, the default transport of kastor, its tests and its simulation. Without `dir` it
 * is purely in memory; with `dir` it survives a crash and a restart (layout in `LogJournal.ts`).
 *
 * Everything that depends on time or ordering is injected: the clock (record timestamps,
 * retention, rebalance and close deadlines, the maintenance timer) and the scheduler that runs
 * deliveries and rebalance steps, so that a simulation driving both gets the same run every time.
 */
import { Observable } from 'rxjs';
import type {
  Admin,
  Broker,
  ConsumerOptions,
  GroupConsumer,
  Producer,
  ProducerOptions,
  ReadOptions,
} from '../../src/broker/Broker.js';
import { BrokerError, UnknownTopic } from '../../src/broker/errors.js';
import type { BrokerRecord, TopicPartition } from '../../src/broker/Record.js';
import type { Clock, TimerHandle } from '../../src/clock/Clock.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { LogJournal } from './LogJournal.js';
import { MemoryAdmin } from './MemoryAdmin.js';
import { MemoryCluster, type MaintenanceReport } from './MemoryCluster.js';
import { failedConsumer, MemoryConsumer } from './MemoryConsumer.js';
import { MemoryProducer } from './MemoryProducer.js';
import type { Schedule } from './PartitionStream.js';

export interface MemoryBrokerOptions {
  /** `Broker.name`; default 'memory'. */
  readonly name?: string;
  /** Record timestamps, retention, deadlines, maintenance timer; default `SystemClock`. */
  readonly clock?: Clock;
  /** Runs deliveries and rebalance steps; default `setImmediate`. */
  readonly schedule?: Schedule;
  /** Directory for the journal; without it nothing touches the disk. */
  readonly dir?: string;
  /** Brokers the cluster pretends to have, for replication-factor checks; default 1. */
  readonly brokers?: number;
  /** Period of `maintain()` on the clock; default 60 000; 0 turns the timer off. */
  readonly maintenanceIntervalMs?: number;
  /** A member that holds on to a batch longer than this in a rebalance is expelled; default 60 000. */
  readonly rebalanceTimeoutMs?: number;
  /** How long `GroupConsumer.close()` waits for batches in flight; default 30 000. */
  readonly closeTimeoutMs?: number;
}

export class MemoryBroker implements Broker {
  readonly name: string;
  readonly admin: Admin;
  private readonly cluster: MemoryCluster;
  private readonly consumers = new Set<MemoryConsumer>();
  private readonly closeTimeoutMs: number;
  private readonly maintenanceIntervalMs: number;
  private maintenanceTimer: TimerHandle | undefined;
  private memberSeq = 0;
  private closed = false;

  constructor(options: MemoryBrokerOptions = {}) {
    this.name = options.name ?? 'memory';
    const brokers = options.brokers ?? 1;
    if (!Number.isInteger(brokers) || brokers < 1) throw new BrokerError(`brokers must be ≥ 1, not ${brokers}`);
    this.cluster = new MemoryCluster({
      clock: options.clock ?? new SystemClock(),
      schedule: options.schedule ?? ((task) => void setImmediate(task)),
      brokers,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
      journal: options.dir !== undefined ? new LogJournal(options.dir) : undefined,
    });
    this.admin = new MemoryAdmin(this.cluster);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
    this.maintenanceIntervalMs = options.maintenanceIntervalMs ?? 60_000;
    this.armMaintenance();
  }

  producer(options?: ProducerOptions): Producer {
    return new MemoryProducer(this.cluster, options);
  }

  /**
   * Joins the group (the rebalance runs from the scheduler). A topic that does not exist makes a
   * consumer whose `assignments` fails with `UnknownTopic`: topics are never auto-created.
   */
  consumer(options: ConsumerOptions): GroupConsumer {
    this.cluster.assertOpen();
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
      throw new BrokerError('a consumer needs a non-empty groupId');
    }
    if (options.topics.length === 0) throw new BrokerError(`consumer of group ${options.groupId} names no topic`);
    const size = options.maxBatchSize;
    if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
      throw new BrokerError(`maxBatchSize must be a whole number ≥ 1, not ${size}`);
    }
    const missing = options.topics.find((t) => !this.cluster.topic(t));
    if (missing !== undefined) return failedConsumer(new UnknownTopic(missing));

    const cluster = this.cluster;
    const coordinator = cluster.group(options.groupId);
    const memberId = `${options.clientId ?? 'kastor'}-${String(++this.memberSeq).padStart(6, '0')}`;
    const consumer = new MemoryConsumer(memberId, options, {
      coordinator,
      clock: cluster.clock,
      schedule: cluster.settings.schedule,
      closeTimeoutMs: this.closeTimeoutMs,
      log: (tp) => cluster.topic(tp.topic)?.logs[tp.partition],
      checkPartitions: (tps) => tps.forEach((tp) => cluster.requireLog(tp)),
      closed: (member) => this.consumers.delete(member),
    });
    this.consumers.add(consumer);
    coordinator.join(consumer);
    return consumer;
  }

  /**
   * Applies retention and compaction now (the maintenance timer calls it too); with a `dir`, the
   * journals of the partitions that changed are rewritten.
   */
  maintain(): MaintenanceReport {
    this.cluster.assertOpen();
    return this.cluster.maintain();
  }

  /**
   * The records a partition holds from `from` (default: the low watermark), up to `max`; for
   * digests and inspection, outside any consumer group.
   */
  read(tp: TopicPartition, from?: number, max = Number.MAX_SAFE_INTEGER): readonly BrokerRecord[] {
    this.cluster.assertOpen();
    const log = this.cluster.requireLog(tp);
    return log.read(from ?? log.low, max);
  }

  /** One array per scheduler turn, so that a long read does not hold the event loop. */
  readPartition(tp: TopicPartition, options: ReadOptions = {}): Observable<readonly BrokerRecord[]> {
    return new Observable<readonly BrokerRecord[]>((subscriber) => {
      const cluster = this.cluster;
      let log;
      try {
        cluster.assertOpen();
        log = cluster.requireLog(tp);
      } catch (e) {
        subscriber.error(e);
        return;
      }
      const end = log.high;
      const max = Math.max(1, options.maxBatchSize ?? 10_000);
      let next = Math.max(options.from ?? log.low, log.low);
      let stopped = false;
      const step = (): void => {
        if (stopped) return;
        // Retention may have moved the start meanwhile; compaction leaves gaps, read() skips them.
        const records = next < end ? log.read(Math.max(next, log.low), Math.min(max, end - next)).filter((r) => r.offset < end) : [];
        if (records.length === 0) {
          subscriber.complete();
          return;
        }
        next = records[records.length - 1].offset + 1;
        subscriber.next(records);
        cluster.settings.schedule(step);
      };
      cluster.settings.schedule(step);
      return () => {
        stopped = true;
      };
    });
  }

  /** Ends every consumer at once (no waiting for batches in flight) and stops maintenance. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.maintenanceTimer !== undefined) this.cluster.clock.clearTimeout(this.maintenanceTimer);
    for (const consumer of [...this.consumers]) consumer.abort();
    this.cluster.close();
  }

  private armMaintenance(): void {
    if (this.maintenanceIntervalMs <= 0) return;
    this.maintenanceTimer = this.cluster.clock.setTimeout(() => {
      this.armMaintenance();
      this.cluster.maintain();
    }, this.maintenanceIntervalMs);
  }
}

/**
 * The `GroupConsumer` of the broker port (src/broker/Broker.ts) on a node-rdkafka
 * `KafkaConsumer`: one member of the consumer group `groupId`, subscribed to `topics`. Settings:
 * config.ts (no auto commit, no auto offset store, cooperative-sticky assignment,
 * `allow.auto.create.topics=false`). Records come from a ConsumeLoop, split per partition and
 * pushed to that partition's PartitionFeed.
 *
 * The group is joined when `assignments` is first subscribed, so that no partition is assigned
 * before someone is there to take it. A topic that does not exist fails `assignments` with
 * UnknownTopic (librdkafka would wait for it to appear; kastor creates topics before it reads).
 *
 * Rebalances go through our own `rebalance_cb`. node-rdkafka runs it on the JS thread after
 * librdkafka asked, and librdkafka holds the rebalance until the application calls
 * (incremental_)assign / unassign, so the answer can wait:
 * - ASSIGN: a PartitionFeed per partition is emitted on `assignments`; then the partitions are
 *   assigned, each with its start offset when its `batches(start)` was subscribed meanwhile, else
 *   paused until it is (see PartitionFeed.ts).
 * - REVOKE: the revoked partitions' feeds end: no new batch, the batch in flight is awaited (the
 *   port's `RecordBatch.ack()`), `batches` completes; only then are the partitions unassigned, so
 *   their next owner starts after what this member processed and committed.
 * Rebalance events are handled one after the other. Both protocols work: cooperative (the
 * default: only the partitions that move are revoked) and eager (`range`, `roundrobin`).
 */
import Kafka from 'node-rdkafka';
import type { LibrdKafkaError, Message, TopicPartition as RdTopicPartition } from 'node-rdkafka';
import { Observable, ReplaySubject, Subject } from 'rxjs';
import type { AssignedPartition, ConsumerOptions, GroupConsumer, StartPosition } from '../../src/broker/Broker.js';
import { BrokerError, UnknownTopic } from '../../src/broker/errors.js';
import { tpKey, type BrokerRecord, type TopicPartition, type TopicPartitionOffset } from '../../src/broker/Record.js';
import { connectWithRetry, disconnectOnce, logClientEvents } from './clientLifecycle.js';
import { consumerConfig, consumerTopicConfig, type ClientSettings } from './config.js';
import { ConsumeLoop } from './ConsumeLoop.js';
import { CODES, describe, errorCode, toBrokerError } from './kafkaErrors.js';
import type { KafkaLogger } from './logger.js';
import { toBrokerRecord } from './messages.js';
import { OffsetCommits } from './OffsetCommits.js';
import { PartitionFeed, type PartitionControl } from './PartitionFeed.js';
import type { TopicMetadataCache } from './TopicMetadataCache.js';

export interface KafkaGroupConsumerOptions {
  readonly settings: ClientSettings;
  readonly consumer: ConsumerOptions;
  readonly logger: KafkaLogger;
  readonly topics: TopicMetadataCache;
  /** Most records one drain of the consume loop takes (all partitions together). */
  readonly fetchSize?: number;
  /** How long the consume loop waits for a record before it polls again. */
  readonly consumeTimeoutMs?: number;
  /** Bound on waiting for in-flight batches in `close()`. */
  readonly closeTimeoutMs?: number;
  /** Timeout of committed-offset and seek requests; commits get three times as long. */
  readonly requestTimeoutMs?: number;
  readonly onClosed?: () => void;
  /** librdkafka gave up on the client (a fatal error): told once, after `assignments` failed with it. */
  readonly onFatal?: (error: BrokerError) => void;
}

const DEFAULT_MAX_BATCH = 500;
/** librdkafka's logical offsets (RD_KAFKA_OFFSET_BEGINNING / _END). */
const OFFSET_BEGINNING = -2;
const OFFSET_END = -1;

export class KafkaGroupConsumer implements GroupConsumer {
  readonly assignments: Observable<AssignedPartition>;
  readonly assignment: Observable<readonly TopicPartition[]>;

  private readonly client: Kafka.KafkaConsumer;
  private readonly ready: Promise<void>;
  private readonly loop: ConsumeLoop;
  private readonly commits: OffsetCommits;
  private readonly assigned$ = new Subject<AssignedPartition>();
  private readonly assignment$ = new ReplaySubject<readonly TopicPartition[]>(1);
  private readonly feeds = new Map<string, PartitionFeed>();
  /** Partitions librdkafka has in its assignment (ours to unassign). */
  private readonly held = new Map<string, TopicPartition>();
  private readonly control: PartitionControl;
  private readonly maxBatchSize: number;
  private readonly group: string;
  private rebalances: Promise<void> = Promise.resolve();
  private joined = false;
  private closed = false;
  private fatal = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaGroupConsumerOptions) {
    const { settings, consumer, logger } = options;
    this.group = consumer.groupId;
    this.maxBatchSize = Math.max(1, consumer.maxBatchSize ?? DEFAULT_MAX_BATCH);
    this.commits = new OffsetCommits(`commit offsets of group ${this.group}`, 3 * this.requestTimeoutMs());
    this.client = new Kafka.KafkaConsumer(
      consumerConfig({
        ...settings,
        groupId: consumer.groupId,
        coPartitioned: consumer.topics.length > 1,
        rebalance: (err, assignment) => this.onRebalance(err as LibrdKafkaError, assignment as RdTopicPartition[]),
        offsetCommit: (err, offsets) => this.commits.reported(err as LibrdKafkaError | undefined, offsets),
      }),
      consumerTopicConfig(consumer.autoOffsetReset ?? 'earliest'),
    );
    logClientEvents(this.client, logger, settings.clientId, (error) => this.failedFatally(error));
    this.loop = new ConsumeLoop(this.client, {
      fetchSize: options.fetchSize ?? Math.max(this.maxBatchSize, 1_000),
      waitMs: options.consumeTimeoutMs ?? 100,
      onMessages: (messages) => this.dispatch(messages),
      // e.g. a subscribed topic deleted meanwhile; librdkafka keeps going.
      onError: (error) => logger.warn('consume error', { group: this.group, error }),
      onFatal: (error) => this.failedFatally(toBrokerError(error, { action: `consume for group ${this.group}` })),
    });
    this.ready = connectWithRetry(this.client, { logger, clientName: settings.clientId, cancelled: () => this.closed });
    this.ready.then(
      () => {
        if (!this.closed) this.loop.start();
      },
      () => undefined,
    );
    this.control = {
      logger,
      pause: (tp) => this.safely('pause', () => this.client.pause([tp])),
      resume: (tp) => this.safely('resume', () => this.client.resume([tp])),
      seek: (tpo) => this.seek(tpo),
      positionOf: (tp, start) => this.positionOf(tp, start),
    };
    this.assignment = this.assignment$.asObservable();
    this.assignments = new Observable<AssignedPartition>((subscriber) => {
      const subscription = this.assigned$.subscribe(subscriber);
      this.join();
      return subscription;
    });
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    if (this.closed) throw new BrokerError('the consumer is closed');
    await this.ready;
    await this.commits.commit(offsets, () =>
      this.client.commit(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))),
    );
  }

  async committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (tps.length === 0) return [];
    if (this.closed) throw new BrokerError('the consumer is closed');
    await this.ready;
    const found = await new Promise<Array<RdTopicPartition & { offset?: number }>>((resolve, reject) => {
      this.client.committed(
        tps.map((tp) => ({ topic: tp.topic, partition: tp.partition })),
        this.requestTimeoutMs(),
        (err, result) => {
          if (err) reject(toBrokerError(err, { action: `read committed offsets of group ${this.group}` }));
          else resolve(result);
        },
      );
    });
    // A partition without a committed offset comes back with OFFSET_INVALID (-1001).
    return found
      .filter((tp) => tp.offset !== undefined && tp.offset >= 0)
      .map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: tp.offset! }));
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---------------------------------------------------------------- group membership

  private join(): void {
    if (this.joined || this.closed) return;
    this.joined = true;
    void this.subscribeWhenReady();
  }

  private async subscribeWhenReady(): Promise<void> {
    let missing: string | undefined;
    try {
      await this.ready;
      for (const topic of this.options.consumer.topics) {
        if ((await this.options.topics.partitionCount(topic)) === undefined) {
          missing = topic;
          break;
        }
      }
    } catch (e) {
      if (!this.closed) this.assigned$.error(toBrokerError(e, { action: `join group ${this.group}` }));
      return;
    }
    if (this.closed) return;
    if (missing !== undefined) {
      this.assigned$.error(new UnknownTopic(missing));
      return;
    }
    try {
      this.client.subscribe([...this.options.consumer.topics]);
    } catch (e) {
      this.assigned$.error(toBrokerError(e, { action: `subscribe to ${this.options.consumer.topics.join(', ')}` }));
    }
  }

  private onRebalance(err: LibrdKafkaError, assignment: RdTopicPartition[]): void {
    const code = errorCode(err);
    const tps = (assignment ?? []).map((tp) => ({ topic: tp.topic, partition: tp.partition }));
    this.rebalances = this.rebalances
      .then(() => {
        if (code === CODES.ERR__ASSIGN_PARTITIONS) return this.onAssign(tps);
        if (code === CODES.ERR__REVOKE_PARTITIONS) return this.onRevoke(tps);
        // librdkafka's advice on a rebalance error: drop the assignment.
        this.options.logger.error('rebalance failed', { group: this.group, error: describe(err) });
        return this.onRevoke([...this.held.values()]);
      })
      .catch((e: unknown) => {
        this.options.logger.error('rebalance handling failed', { group: this.group, error: describe(e) });
      });
  }

  /**
   * librdkafka gave up on the client (a static member fenced by a newer one with its
   * group.instance.id, say): no partition of ours moves again. Whoever reads them hears it, then
   * the owner; once, whichever way librdkafka said it (an error event or a consume error).
   */
  private failedFatally(error: BrokerError): void {
    if (this.fatal) return;
    this.fatal = true;
    if (!this.closed) this.assigned$.error(error);
    this.options.onFatal?.(error);
  }

  private cooperative(): boolean {
    return this.client.rebalanceProtocol() === 'COOPERATIVE';
  }

  private async onAssign(tps: TopicPartition[]): Promise<void> {
    this.options.logger.info('partitions assigned', { group: this.group, partitions: tps.map(tpKey) });
    const feeds = tps.map((tp) => {
      const feed = new PartitionFeed(tp.topic, tp.partition, this.control, {
        maxBatchSize: this.maxBatchSize,
        highWater: Math.max(2 * this.maxBatchSize, 1_000),
      });
      this.feeds.set(tpKey(tp), feed);
      return feed;
    });
    // Subscribers that call batches(start) right away get their partition assigned at `start`.
    if (!this.closed) for (const feed of feeds) this.assigned$.next(feed);
    const entries = feeds.map((f) => f.assignment());
    if (this.cooperative()) this.client.incrementalAssign(entries);
    else this.client.assign([...this.held.values(), ...entries]);
    for (const tp of tps) this.held.set(tpKey(tp), tp);
    for (const feed of feeds) {
      // In the same tick as the assign: a partition nobody reads yet is paused before any fetch.
      feed.assigned();
      if (this.closed) void feed.end(0);
    }
    // librdkafka calls back on every rebalance, with no partition when none is new to this member:
    // so even a member given nothing learns that it has joined.
    if (!this.closed) this.assignment$.next([...this.held.values()]);
  }

  private async onRevoke(tps: TopicPartition[]): Promise<void> {
    this.options.logger.info('partitions revoked; finishing their batches in flight', {
      group: this.group,
      partitions: tps.map(tpKey),
    });
    await Promise.all(tps.map((tp) => this.feeds.get(tpKey(tp))?.end()));
    for (const tp of tps) {
      this.feeds.delete(tpKey(tp));
      this.held.delete(tpKey(tp));
    }
    if (!this.closed) this.assignment$.next([...this.held.values()]);
    if (!this.client.isConnected()) return;
    if (this.cooperative()) this.client.incrementalUnassign(tps);
    else this.client.unassign();
  }

  // ---------------------------------------------------------------- records and positions

  /** Splits a consume call's messages (in fetch order) into runs per partition. */
  private dispatch(messages: Message[]): void {
    let key = '';
    let run: BrokerRecord[] = [];
    const flush = (): void => {
      if (run.length > 0) this.feeds.get(key)?.push(run);
      run = [];
    };
    for (const m of messages) {
      const k = `${m.topic}/${m.partition}`;
      if (k !== key) {
        flush();
        key = k;
      }
      run.push(toBrokerRecord(m));
    }
    flush();
  }

  private async positionOf(tp: TopicPartition, start: StartPosition): Promise<number> {
    if (start !== 'committed') return start.offset;
    const [committed] = await this.committed([tp]);
    if (committed !== undefined) return committed.offset;
    return (this.options.consumer.autoOffsetReset ?? 'earliest') === 'earliest' ? OFFSET_BEGINNING : OFFSET_END;
  }

  private async seek(tpo: TopicPartitionOffset): Promise<void> {
    // Right after an assignment the partition may not be ready to seek yet (ERR__STATE): retry.
    const deadline = Date.now() + this.requestTimeoutMs();
    for (let attempt = 1; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          const timeout = Math.max(10, deadline - Date.now());
          this.client.seek({ ...tpo }, timeout, (err) => (err ? reject(err) : resolve()));
        });
        return;
      } catch (e) {
        if (!this.client.isConnected() || Date.now() + 50 >= deadline) {
          throw toBrokerError(e, { action: `seek ${tpo.topic}/${tpo.partition} to ${tpo.offset}`, topic: tpo.topic });
        }
        await new Promise((r) => setTimeout(r, Math.min(25 * attempt, 250)));
      }
    }
  }

  // ---------------------------------------------------------------- close

  private async shutdown(): Promise<void> {
    this.closed = true;
    // In-flight batches finish (bounded); every partition's `batches` completes.
    await Promise.all([...this.feeds.values()].map((f) => f.end(this.options.closeTimeoutMs ?? 10_000)));
    this.assigned$.complete();
    this.assignment$.complete();
    let connected = true;
    try {
      await this.ready;
    } catch {
      connected = false;
    }
    if (connected && this.loop.isRunning) {
      // Leave the group while the loop still serves the REVOKE callback, then stop the loop.
      if (this.joined) this.safely('unsubscribe', () => this.client.unsubscribe());
      await waitUntil(() => this.held.size === 0, 5_000);
      await this.rebalances;
      await this.loop.stop();
    }
    if (connected) await disconnectOnce(this.client);
    this.commits.rejectAll(new BrokerError('the consumer closed before the commit completed', { retriable: true }));
    this.options.onClosed?.();
  }

  private requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 10_000;
  }

  private safely(what: string, action: () => unknown): void {
    try {
      action();
    } catch (e) {
      if (this.client.isConnected()) this.options.logger.warn(`${what} failed`, { group: this.group, error: describe(e) });
    }
  }
}

function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (condition() || Date.now() >= deadline) resolve();
      else setTimeout(check, 20);
    };
    check();
  });
}

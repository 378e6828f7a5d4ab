/**
 * The `GroupConsumer` of the broker port (src/broker/Broker.ts) on a node-rdkafka
 * `KafkaConsumer`: one member of the consumer group `groupId`, subscribed to `topics`. Settings:
 * config.ts (no auto commit, no auto offset store, cooperative-sticky assignment,
 * `allow.auto.create.topics=false`).
 *
 * The group is joined when `assignments` is first subscribed, so that no partition is assigned
 * before someone is there to take it.
 *
 * Rebalances go through our own `rebalance_cb`. node-rdkafka calls it on the JS thread after
 * librdkafka asked, and librdkafka holds the rebalance until the application calls
 * (incremental_)assign / unassign; so the answer can wait:
 * - ASSIGN: a PartitionFeed per partition is emitted on `assignments`; then the partitions are
 *   assigned, each with its start offset when its `batches(start)` was already subscribed, else
 *   paused until it is (see PartitionFeed.ts).
 * - REVOKE: the revoked partitions' feeds end: no new batch, the batch in flight is awaited (the
 *   port's `RecordBatch.ack()`), `batches` completes; only then are the partitions unassigned, so
 *   the next owner starts after what this member processed and committed.
 * Rebalance events are handled one after the other.
 *
 * Records come from one loop of `consume(fetchSize)` calls (each blocks a libuv pool thread for
 * up to `consumeTimeoutMs`), split per partition and pushed to the feeds. librdkafka serves
 * rebalance and commit callbacks inside those calls, so the loop runs until the consumer is
 * disconnected.
 *
 * libuv thread pool: every consumer keeps one pool thread busy in `consume()`, and seeks, commits
 * queries and disconnects take more. A process with several consumers must raise
 * `UV_THREADPOOL_SIZE` (default 4) before the pool starts: at least 2 x consumers + 4.
 */
import Kafka from 'node-rdkafka';
import type { LibrdKafkaError, Message, TopicPartition as RdTopicPartition } from 'node-rdkafka';
import { Observable, Subject } from 'rxjs';
import type { AssignedPartition, ConsumerOptions, GroupConsumer, StartPosition } from '../../src/broker/Broker.js';
import { BrokerError, UnknownTopic } from '../../src/broker/errors.js';
import { tpKey, type BrokerRecord, type TopicPartition, type TopicPartitionOffset } from '../../src/broker/Record.js';
import { connectWithRetry, disconnectOnce, logClientEvents } from './clientLifecycle.js';
import { consumerConfig, consumerTopicConfig, type ClientSettings } from './config.js';
import { CODES, describe, errorCode, toBrokerError } from './kafkaErrors.js';
import type { KafkaLogger } from './logger.js';
import { toBrokerRecord } from './messages.js';
import { PartitionFeed, type PartitionControl } from './PartitionFeed.js';
import type { TopicMetadataCache } from './TopicMetadataCache.js';

export interface KafkaGroupConsumerOptions {
  readonly settings: ClientSettings;
  readonly consumer: ConsumerOptions;
  readonly logger: KafkaLogger;
  readonly topics: TopicMetadataCache;
  /** Most records one `consume()` call returns (all partitions together). */
  readonly fetchSize?: number;
  /** How long one `consume()` call waits for records. */
  readonly consumeTimeoutMs?: number;
  /** Bound on waiting for in-flight batches in `close()`. */
  readonly closeTimeoutMs?: number;
  /** Timeout of commit, committed-offset and seek requests. */
  readonly requestTimeoutMs?: number;
  readonly onClosed?: () => void;
}

interface PendingCommit {
  resolve(): void;
  reject(error: BrokerError): void;
}

const DEFAULT_MAX_BATCH = 500;
/** librdkafka's logical offsets (RD_KAFKA_OFFSET_BEGINNING / _END). */
const OFFSET_BEGINNING = -2;
const OFFSET_END = -1;

export class KafkaGroupConsumer implements GroupConsumer {
  readonly assignments: Observable<AssignedPartition>;

  private readonly client: Kafka.KafkaConsumer;
  private readonly ready: Promise<void>;
  private readonly assigned$ = new Subject<AssignedPartition>();
  private readonly feeds = new Map<string, PartitionFeed>();
  /** Partitions librdkafka has in its assignment (ours to unassign). */
  private readonly held = new Map<string, TopicPartition>();
  private readonly pendingCommits: PendingCommit[] = [];
  private readonly control: PartitionControl;
  private readonly maxBatchSize: number;
  private rebalances: Promise<void> = Promise.resolve();
  private joined = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private looping = false;
  private loopStopped: (() => void) | undefined;
  private consumeSeq = 0;
  private lastLoopError = '';

  constructor(private readonly options: KafkaGroupConsumerOptions) {
    const { settings, consumer, logger } = options;
    this.maxBatchSize = Math.max(1, consumer.maxBatchSize ?? DEFAULT_MAX_BATCH);
    this.client = new Kafka.KafkaConsumer(
      consumerConfig({
        ...settings,
        groupId: consumer.groupId,
        rebalance: (err, assignment) => this.onRebalance(err as LibrdKafkaError, assignment as RdTopicPartition[]),
        offsetCommit: (err) => this.onOffsetCommit(err as LibrdKafkaError | undefined),
      }),
      consumerTopicConfig(consumer.autoOffsetReset ?? 'earliest'),
    );
    this.client.setDefaultConsumeTimeout(options.consumeTimeoutMs ?? 100);
    logClientEvents(this.client, logger, settings.clientId);
    this.ready = connectWithRetry(this.client, {
      logger,
      clientName: settings.clientId,
      cancelled: () => this.closed,
    });
    this.ready.catch(() => undefined);

    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.control = {
      logger,
      pause: (tp) => this.safely('pause', () => this.client.pause([tp])),
      resume: (tp) => this.safely('resume', () => this.client.resume([tp])),
      seek: (tpo) => this.seek(tpo, requestTimeoutMs),
      positionOf: (tp, start) => this.positionOf(tp, start),
      nextConsumeSeq: () => this.consumeSeq + 1,
    };

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
    await new Promise<void>((resolve, reject) => {
      const pending: PendingCommit = { resolve, reject };
      this.pendingCommits.push(pending);
      try {
        this.client.commit(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
      } catch (e) {
        this.pendingCommits.splice(this.pendingCommits.indexOf(pending), 1);
        reject(toBrokerError(e, { action: `commit offsets of group ${this.options.consumer.groupId}` }));
      }
    });
  }

  async committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (tps.length === 0) return [];
    if (this.closed) throw new BrokerError('the consumer is closed');
    await this.ready;
    const timeout = this.options.requestTimeoutMs ?? 10_000;
    const found = await new Promise<RdTopicPartition[]>((resolve, reject) => {
      this.client.committed(
        tps.map((tp) => ({ topic: tp.topic, partition: tp.partition })),
        timeout,
        (err, result) => {
          if (err) reject(toBrokerError(err, { action: `read committed offsets of group ${this.options.consumer.groupId}` }));
          else resolve(result);
        },
      );
    });
    const result: TopicPartitionOffset[] = [];
    for (const tp of found as Array<RdTopicPartition & { offset?: number }>) {
      if (tp.offset === undefined || tp.offset < 0) continue; // nothing committed (OFFSET_INVALID, -1001)
      result.push({ topic: tp.topic, partition: tp.partition, offset: tp.offset });
    }
    return result;
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
      missing = await this.missingTopic();
    } catch (e) {
      if (!this.closed) this.assigned$.error(toBrokerError(e, { action: 'join the group' }));
      return;
    }
    if (this.closed) return;
    if (missing !== undefined) {
      // librdkafka would wait for the topic to appear; kastor creates its topics before it
      // consumes them, so a missing one is a mistake to report.
      this.assigned$.error(new UnknownTopic(missing));
      return;
    }
    try {
      this.client.subscribe([...this.options.consumer.topics]);
    } catch (e) {
      this.assigned$.error(toBrokerError(e, { action: `subscribe to ${this.options.consumer.topics.join(', ')}` }));
      return;
    }
    this.startLoop();
  }

  private async missingTopic(): Promise<string | undefined> {
    for (const topic of this.options.consumer.topics) {
      if ((await this.options.topics.partitionCount(topic)) === undefined) return topic;
    }
    return undefined;
  }

  private onRebalance(err: LibrdKafkaError, assignment: RdTopicPartition[]): void {
    const code = errorCode(err);
    const tps = (assignment ?? []).map((tp) => ({ topic: tp.topic, partition: tp.partition }));
    this.rebalances = this.rebalances
      .then(() => {
        if (code === CODES.ERR__ASSIGN_PARTITIONS) return this.onAssign(tps);
        if (code === CODES.ERR__REVOKE_PARTITIONS) return this.onRevoke(tps);
        this.options.logger.error('rebalance failed', { group: this.options.consumer.groupId, error: describe(err) });
        return this.onRevoke([...this.held.values()]);
      })
      .catch((e: unknown) => {
        this.options.logger.error('rebalance handling failed', {
          group: this.options.consumer.groupId,
          error: describe(e),
        });
      });
  }

  private cooperative(): boolean {
    return this.client.rebalanceProtocol() === 'COOPERATIVE';
  }

  private async onAssign(tps: TopicPartition[]): Promise<void> {
    this.options.logger.info('partitions assigned', { group: this.options.consumer.groupId, partitions: tps.map(tpKey) });
    const feeds: PartitionFeed[] = [];
    for (const tp of tps) {
      const feed = new PartitionFeed(tp.topic, tp.partition, this.control, {
        maxBatchSize: this.maxBatchSize,
        highWater: Math.max(2 * this.maxBatchSize, 1_000),
      });
      feeds.push(feed);
      this.feeds.set(tpKey(tp), feed);
    }
    // Subscribers that call batches(start) right away get their partition assigned at `start`.
    if (!this.closed) for (const feed of feeds) this.assigned$.next(feed);
    const entries = feeds.map((f) => f.assignment());
    if (this.cooperative()) this.client.incrementalAssign(entries);
    else this.client.assign([...this.held.values(), ...entries]);
    for (const tp of tps) this.held.set(tpKey(tp), tp);
    for (const feed of feeds) {
      feed.assigned();
      if (this.closed) void feed.end(0);
    }
  }

  private async onRevoke(tps: TopicPartition[]): Promise<void> {
    this.options.logger.info('partitions revoked; finishing their batches in flight', {
      group: this.options.consumer.groupId,
      partitions: tps.map(tpKey),
    });
    const ending: Promise<void>[] = [];
    for (const tp of tps) {
      const feed = this.feeds.get(tpKey(tp));
      if (feed) ending.push(feed.end());
    }
    await Promise.all(ending);
    for (const tp of tps) {
      this.feeds.delete(tpKey(tp));
      this.held.delete(tpKey(tp));
    }
    if (!this.client.isConnected()) return;
    if (this.cooperative()) this.client.incrementalUnassign(tps);
    else this.client.unassign();
  }

  // ---------------------------------------------------------------- the consume loop

  private startLoop(): void {
    if (this.looping) return;
    this.looping = true;
    this.next();
  }

  private next(): void {
    if (!this.looping || !this.client.isConnected()) {
      this.looping = false;
      this.loopStopped?.();
      return;
    }
    const seq = ++this.consumeSeq;
    const fetchSize = this.options.fetchSize ?? Math.max(this.maxBatchSize, 1_000);
    try {
      this.client.consume(fetchSize, (err, messages) => {
        if (err) {
          this.onLoopError(err);
          // Errors come back at once (no waiting for records): do not spin.
          setTimeout(() => this.next(), 200);
          return;
        }
        this.lastLoopError = '';
        if (messages.length > 0) this.dispatch(messages, seq);
        setImmediate(() => this.next());
      });
    } catch (e) {
      this.onLoopError(e);
      setTimeout(() => this.next(), 200);
    }
  }

  private dispatch(messages: Message[], seq: number): void {
    let batchTopic = '';
    let batchPartition = -1;
    let records: BrokerRecord[] = [];
    const flush = (): void => {
      if (records.length === 0) return;
      this.feeds.get(`${batchTopic}/${batchPartition}`)?.push(records, seq);
      records = [];
    };
    for (const m of messages) {
      if (m.topic !== batchTopic || m.partition !== batchPartition) {
        flush();
        batchTopic = m.topic;
        batchPartition = m.partition;
      }
      records.push(toBrokerRecord(m));
    }
    flush();
  }

  private onLoopError(e: unknown): void {
    const code = errorCode(e);
    if (code === CODES.ERR__TIMED_OUT || code === CODES.ERR__TIMED_OUT_QUEUE || code === CODES.ERR__PARTITION_EOF) return;
    const text = describe(e);
    if (text === this.lastLoopError) return;
    this.lastLoopError = text;
    // e.g. a subscribed topic that does not exist (yet): librdkafka keeps the subscription and
    // picks the topic up once it is created.
    this.options.logger.warn('consume error', { group: this.options.consumer.groupId, error: text });
  }

  // ---------------------------------------------------------------- offsets

  private onOffsetCommit(err: LibrdKafkaError | undefined): void {
    // Commits complete in the order they were made.
    const pending = this.pendingCommits.shift();
    if (pending === undefined) return;
    const code = errorCode(err);
    if (err && code !== CODES.ERR_NO_ERROR) {
      pending.reject(
        toBrokerError(err, { action: `commit offsets of group ${this.options.consumer.groupId}` }),
      );
      return;
    }
    pending.resolve();
  }

  private async positionOf(tp: TopicPartition, start: StartPosition): Promise<number> {
    if (start !== 'committed') return start.offset;
    const [committed] = await this.committed([tp]);
    if (committed !== undefined) return committed.offset;
    return (this.options.consumer.autoOffsetReset ?? 'earliest') === 'earliest' ? OFFSET_BEGINNING : OFFSET_END;
  }

  private async seek(tpo: TopicPartitionOffset, timeoutMs: number): Promise<void> {
    // Right after an assignment the partition may not be ready to seek yet (ERR__STATE): retry.
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          this.client.seek({ ...tpo }, Math.max(10, Math.min(timeoutMs, deadline - Date.now())), (err) =>
            err ? reject(err) : resolve(),
          );
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
    const closeTimeoutMs = this.options.closeTimeoutMs ?? 10_000;
    // In-flight batches finish (bounded); every partition's `batches` completes.
    await Promise.all([...this.feeds.values()].map((f) => f.end(closeTimeoutMs)));
    this.assigned$.complete();
    try {
      await this.ready;
    } catch {
      this.finishClose();
      return;
    }
    if (this.looping) {
      // Leave the group while the loop still serves the REVOKE callback, then stop the loop.
      this.safely('unsubscribe', () => this.client.unsubscribe());
      await this.waitUntil(() => this.held.size === 0, 5_000);
      await this.rebalances;
      if (this.looping) {
        await new Promise<void>((resolve) => {
          this.loopStopped = resolve;
          this.looping = false;
        });
      }
    }
    await disconnectOnce(this.client);
    this.finishClose();
  }

  private finishClose(): void {
    const gone = new BrokerError('the consumer closed before the commit completed', { retriable: true });
    for (const p of this.pendingCommits.splice(0)) p.reject(gone);
    this.assigned$.complete();
    this.options.onClosed?.();
  }

  private waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const check = (): void => {
        if (condition() || Date.now() >= deadline) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
  }

  private safely(what: string, action: () => unknown): void {
    try {
      action();
    } catch (e) {
      if (this.client.isConnected()) {
        this.options.logger.warn(`${what} failed`, { group: this.options.consumer.groupId, error: describe(e) });
      }
    }
  }
}

/**
 * The `Producer` of the broker port (src/broker/Broker.ts) on a node-rdkafka `Producer` with
 * delivery reports (`dr_cb`). Settings per profile: config.ts.
 *
 * - reliable: each record carries an opaque id; `send` resolves when the delivery report of every
 *   record arrived (topic, partition, offset as the broker assigned them) and rejects with a
 *   BrokerError (retriable when librdkafka says so) as soon as one fails.
 * - fire-and-forget: `send` resolves once librdkafka queued the records; offsets are -1 and the
 *   partition is the one the partitioner will pick for a keyed record (murmur2, as
 *   `partitionForKey`), -1 for a record without key or partition. Failed deliveries are logged.
 *
 * librdkafka hands delivery reports over only on `poll()`: a timer polls every `pollIntervalMs`,
 * keeping the process alive only while reports are awaited. A full local queue (QUEUE_FULL) is
 * waited out by polling, so a burst never fails a send. Records of one `send` are enqueued in
 * order, and whole sends in call order, so per-partition order is the caller's order.
 */
import Kafka from 'node-rdkafka';
import type { DeliveryReport, LibrdKafkaError } from 'node-rdkafka';
import type { Producer, ProducerProfile } from '../../src/broker/Broker.js';
import { BrokerError, ProducerClosed, UnknownPartition, UnknownTopic } from '../../src/broker/errors.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import type { OutgoingRecord, RecordMetadata } from '../../src/broker/Record.js';
import { connectWithRetry, disconnectOnce, logClientEvents } from './clientLifecycle.js';
import { producerConfig, type ClientSettings } from './config.js';
import { CODES, describe, errorCode, toBrokerError } from './kafkaErrors.js';
import type { KafkaLogger } from './logger.js';
import { toBuffer, toMessageHeaders } from './messages.js';
import type { TopicMetadataCache } from './TopicMetadataCache.js';

export interface KafkaProducerOptions {
  readonly settings: ClientSettings;
  readonly profile: ProducerProfile;
  readonly topics: TopicMetadataCache;
  readonly logger: KafkaLogger;
  /** How often delivery reports are polled for. */
  readonly pollIntervalMs?: number;
  /** Bound on `flush()` and on the flush inside `close()`. */
  readonly flushTimeoutMs?: number;
  readonly onClosed?: () => void;
  /** librdkafka gave up on the client (a fatal error): told once. */
  readonly onFatal?: (error: BrokerError) => void;
}

/** The delivery reports one `send` waits for. */
class Delivery {
  readonly results: RecordMetadata[];
  readonly done: Promise<RecordMetadata[]>;
  private remaining: number;
  private settled = false;
  private resolve!: (results: RecordMetadata[]) => void;
  private reject!: (error: BrokerError) => void;

  constructor(count: number) {
    this.results = new Array<RecordMetadata>(count);
    this.remaining = count;
    this.done = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined); // awaited by send(); a failure before that is not unhandled
  }

  delivered(index: number, metadata: RecordMetadata): void {
    this.results[index] = metadata;
    if (--this.remaining === 0 && !this.settled) {
      this.settled = true;
      this.resolve(this.results);
    }
  }

  failed(error: BrokerError): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

interface Awaited {
  readonly delivery: Delivery;
  readonly index: number;
}

export class KafkaProducer implements Producer {
  private readonly client: Kafka.Producer;
  private readonly ready: Promise<void>;
  private readonly awaited = new Map<number, Awaited>();
  private readonly spaceWaiters: Array<() => void> = [];
  private readonly pollTimer: NodeJS.Timeout;
  private nextOpaque = 1;
  /** Sends enqueue one after the other, in call order. */
  private enqueueLane: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private fatal: BrokerError | undefined;

  constructor(private readonly options: KafkaProducerOptions) {
    const { settings, logger } = options;
    const config = producerConfig(settings, options.profile);
    this.client = new Kafka.Producer(config.global, config.topic);
    logClientEvents(this.client, logger, settings.clientId, (error) => {
      // An idempotent producer fenced or out of sequence cannot go on: every send from now on, and
      // every one awaiting its delivery reports, fails with the cause; the owner ends the process.
      this.fatal = error;
      for (const a of this.awaited.values()) a.delivery.failed(error);
      this.awaited.clear();
      options.onFatal?.(error);
    });
    this.client.on('delivery-report', (err, report) => this.onDeliveryReport(err, report));
    this.ready = connectWithRetry(this.client, {
      logger,
      clientName: settings.clientId,
      cancelled: () => this.closed,
    });
    this.ready.catch(() => undefined);
    this.pollTimer = setInterval(() => this.poll(), options.pollIntervalMs ?? 5);
    this.pollTimer.unref();
  }

  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new ProducerClosed();
    if (this.fatal) throw this.fatal;
    if (records.length === 0) return [];
    await this.ready;
    const counts = await this.partitionCounts(records);
    // The lane moves on once the records are enqueued, not once they are delivered.
    const enqueued = this.enqueueLane.then(() => this.enqueue(records, counts));
    this.enqueueLane = enqueued.catch(() => undefined);
    const { delivered } = await enqueued;
    return delivered;
  }

  async flush(): Promise<void> {
    if (this.closed) throw new ProducerClosed();
    await this.ready;
    await this.enqueueLane;
    await this.flushClient(this.options.flushTimeoutMs ?? 30_000);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    try {
      await this.ready;
    } catch {
      // Never connected: nothing to flush.
    }
    await this.enqueueLane;
    if (this.client.isConnected()) {
      try {
        await this.flushClient(this.options.flushTimeoutMs ?? 10_000);
      } catch (e) {
        this.options.logger.warn('producer closed with records undelivered', {
          client: this.options.settings.clientId,
          undelivered: this.awaited.size,
          error: describe(e),
        });
      }
    }
    await disconnectOnce(this.client);
    clearInterval(this.pollTimer);
    const gone = new BrokerError('the producer closed before the broker confirmed the record', { retriable: true });
    for (const a of this.awaited.values()) a.delivery.failed(gone);
    this.awaited.clear();
    this.wakeSpaceWaiters();
    this.options.onClosed?.();
  }

  private async partitionCounts(records: readonly OutgoingRecord[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const r of records) {
      let count = counts.get(r.topic);
      if (count === undefined) {
        try {
          count = await this.options.topics.partitionCount(r.topic);
        } catch (e) {
          throw toBrokerError(e, { action: `read metadata of ${r.topic}` });
        }
        if (count === undefined) throw new UnknownTopic(r.topic);
        counts.set(r.topic, count);
      }
      if (r.partition !== undefined && (r.partition < 0 || r.partition >= count || !Number.isInteger(r.partition))) {
        throw new UnknownPartition(r.topic, r.partition);
      }
    }
    return counts;
  }

  /**
   * Hands the records to librdkafka. Reliable: resolves (after enqueueing) to the promise of every
   * delivery report; fire-and-forget: to the metadata known now.
   */
  private async enqueue(
    records: readonly OutgoingRecord[],
    counts: ReadonlyMap<string, number>,
  ): Promise<{ delivered: Promise<RecordMetadata[]> }> {
    if (this.options.profile === 'fire-and-forget') {
      const results: RecordMetadata[] = [];
      for (const r of records) {
        if (!this.tryProduce(r, undefined)) await this.produceOne(r, undefined);
        const partition = r.partition ?? (r.key !== null ? partitionForKey(r.key, counts.get(r.topic) ?? 1) : -1);
        results.push({ topic: r.topic, partition, offset: -1 });
      }
      return { delivered: Promise.resolve(results) };
    }
    const delivery = new Delivery(records.length);
    for (let index = 0; index < records.length; index++) {
      const opaque = this.nextOpaque++;
      this.awaited.set(opaque, { delivery, index });
      try {
        if (!this.tryProduce(records[index], opaque)) await this.produceOne(records[index], opaque);
      } catch (e) {
        this.awaited.delete(opaque);
        delivery.failed(e instanceof BrokerError ? e : toBrokerError(e, { action: `produce to ${records[index].topic}` }));
        break;
      }
    }
    return { delivered: delivery.done };
  }

  private async produceOne(r: OutgoingRecord, opaque: number | undefined): Promise<void> {
    while (!this.tryProduce(r, opaque)) {
      await this.waitForSpace();
    }
  }

  /** Enqueues the record in librdkafka; false when its queue is full (QUEUE_FULL). */
  private tryProduce(r: OutgoingRecord, opaque: number | undefined): boolean {
    if (!this.client.isConnected()) throw new ProducerClosed();
    try {
      this.client.produce(
        r.topic,
        r.partition ?? null,
        toBuffer(r.value),
        toBuffer(r.key),
        r.timestamp ?? null,
        opaque,
        toMessageHeaders(r.headers),
      );
      return true;
    } catch (e) {
      if (errorCode(e) === CODES.ERR__QUEUE_FULL) return false;
      throw toBrokerError(e, { action: `produce to ${r.topic}`, topic: r.topic, partition: r.partition });
    }
  }

  /** Resolves at the next delivery report (which frees queue space) or after a short while. */
  private waitForSpace(): Promise<void> {
    this.poll();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, 50);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.spaceWaiters.push(done);
    });
  }

  private wakeSpaceWaiters(): void {
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }

  private onDeliveryReport(err: LibrdKafkaError | null | undefined, report: DeliveryReport): void {
    if (this.spaceWaiters.length > 0) this.wakeSpaceWaiters();
    const opaque = typeof report.opaque === 'number' ? report.opaque : undefined;
    const awaited = opaque === undefined ? undefined : this.awaited.get(opaque);
    if (opaque !== undefined) this.awaited.delete(opaque);
    if (err) {
      const error = toBrokerError(err, {
        action: `deliver a record to ${report.topic}`,
        topic: report.topic,
        partition: report.partition >= 0 ? report.partition : undefined,
      });
      if (awaited) {
        if (error instanceof UnknownTopic) this.options.topics.invalidate(report.topic);
        awaited.delivery.failed(error);
      } else {
        this.options.logger.error('record not delivered', {
          client: this.options.settings.clientId,
          topic: report.topic,
          error: error.message,
        });
      }
      return;
    }
    awaited?.delivery.delivered(awaited.index, { topic: report.topic, partition: report.partition, offset: report.offset });
  }

  private poll(): void {
    // Keep the process alive while someone awaits a delivery report; otherwise the timer is unref'd.
    if (this.awaited.size > 0 || this.spaceWaiters.length > 0) this.pollTimer.ref();
    else this.pollTimer.unref();
    if (!this.client.isConnected()) return;
    try {
      this.client.poll();
    } catch {
      // Disconnected between the check and the call: nothing to poll.
    }
  }

  private flushClient(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.client.isConnected()) {
        resolve();
        return;
      }
      this.client.flush(timeoutMs, (err) => {
        if (err) reject(toBrokerError(err, { action: `flush within ${timeoutMs} ms` }));
        else resolve();
      });
    });
  }
}

/**
 * The kafka adapter of the broker port (src/broker/Broker.ts): node-rdkafka (librdkafka) against
 * a real Apache Kafka cluster. Producers, group consumers and the admin are in their own files;
 * the librdkafka settings they rely on are listed in config.ts.
 *
 * Each producer and consumer is its own librdkafka client (own connections and threads). A
 * consumer keeps a libuv pool thread busy: processes with several consumers must raise
 * `UV_THREADPOOL_SIZE` (default 4) before the pool starts, to at least 2 x consumers + 4 (the
 * `kastor` CLI does so).
 *
 * A broker that is down does not crash the process: clients connect with retries, librdkafka
 * reconnects on its own, and its errors go to the logger (default: JSON lines on stderr).
 */
import { type Observable, ReplaySubject } from 'rxjs';
import type { Broker, ConsumerOptions, GroupConsumer, Producer, ProducerOptions, ReadOptions } from '../../src/broker/Broker.js';
import type { BrokerRecord, TopicPartition } from '../../src/broker/Record.js';
import { BrokerError } from '../../src/broker/errors.js';
import type { ClientSettings } from './config.js';
import { KafkaAdmin } from './KafkaAdmin.js';
import { KafkaGroupConsumer } from './KafkaGroupConsumer.js';
import { readPartition } from './KafkaPartitionReader.js';
import { KafkaProducer } from './KafkaProducer.js';
import { consoleKafkaLogger, type KafkaLogger } from './logger.js';

export interface KafkaBrokerOptions {
  /** Bootstrap servers, `host:port[,host:port...]`, e.g. '127.0.0.1:9092'. */
  readonly brokers: string;
  /** Prefix of every client's `client.id` (default 'kastor'). */
  readonly clientId?: string;
  readonly logger?: KafkaLogger;
  /** Extra librdkafka properties for every client, applied last (e.g. `{ debug: 'cgrp' }`). */
  readonly librdkafka?: Readonly<Record<string, string | number | boolean>>;
  /** Bound on waiting for in-flight batches when a consumer closes (default 10 s). */
  readonly closeTimeoutMs?: number;
}

interface Closable {
  close(): Promise<void>;
}

export class KafkaBroker implements Broker {
  readonly name = 'kafka';
  readonly admin: KafkaAdmin;
  private readonly logger: KafkaLogger;
  private readonly producers = new Set<Closable>();
  private readonly consumers = new Set<Closable>();
  private clientCount = 0;
  /** Replayed: a client made before the runtime subscribed (the edge's producer) may fail first. */
  private readonly fatal$ = new ReplaySubject<BrokerError>(1);
  /** A fatal error of any client of this broker (kafkaErrors.ts `isFatal`). */
  readonly fatalErrors: Observable<BrokerError> = this.fatal$.asObservable();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaBrokerOptions) {
    this.logger = options.logger ?? consoleKafkaLogger;
    this.admin = new KafkaAdmin({ settings: this.settings('admin'), logger: this.logger });
  }

  producer(options: ProducerOptions = {}): Producer {
    this.assertOpen();
    const profile = options.profile ?? 'reliable';
    const producer: KafkaProducer = new KafkaProducer({
      settings: this.settings(options.clientId ?? `producer-${profile}`),
      profile,
      topics: this.admin.topicCache,
      logger: this.logger,
      onClosed: () => this.producers.delete(producer),
      onFatal: (error) => this.fatal$.next(error),
    });
    this.producers.add(producer);
    return producer;
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    this.assertOpen();
    if (typeof options.groupId !== 'string' || options.groupId.length === 0) {
      throw new BrokerError('a consumer needs a non-empty groupId');
    }
    if (options.topics.length === 0) throw new BrokerError(`consumer of group ${options.groupId} names no topic`);
    const size = options.maxBatchSize;
    if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
      throw new BrokerError(`maxBatchSize must be a whole number ≥ 1, not ${size}`);
    }
    const consumer: KafkaGroupConsumer = new KafkaGroupConsumer({
      settings: this.settings(options.clientId ?? `consumer-${options.groupId}`),
      consumer: options,
      logger: this.logger,
      topics: this.admin.topicCache,
      closeTimeoutMs: this.options.closeTimeoutMs,
      onClosed: () => this.consumers.delete(consumer),
      onFatal: (error) => this.fatal$.next(error),
    });
    this.consumers.add(consumer);
    return consumer;
  }

  readPartition(tp: TopicPartition, options: ReadOptions = {}): Observable<readonly BrokerRecord[]> {
    this.assertOpen();
    return readPartition(tp, options, { settings: this.settings(`reader-${tp.topic}-${tp.partition}`), admin: this.admin, logger: this.logger });
  }

  /** Consumers first (they finish their batches), then producers (they flush), then the admin. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.close()));
      await Promise.all([...this.producers].map((p) => p.close()));
      await this.admin.close();
    })();
    return this.closing;
  }

  private settings(client: string): ClientSettings {
    return {
      brokers: this.options.brokers,
      clientId: `${this.options.clientId ?? 'kastor'}-${client}-${++this.clientCount}`,
      extra: this.options.librdkafka,
    };
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new BrokerError('the broker is closed');
  }
}

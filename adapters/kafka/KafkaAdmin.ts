/**
 * The `Admin` of the broker port (src/broker/Broker.ts) on node-rdkafka's `AdminClient` (create
 * and delete topics) and a metadata client (a plain Producer that never produces: topic and broker
 * metadata, `queryWatermarkOffsets`).
 *
 * - createTopics: `num_partitions`, `replication_factor`, topic config `retention.ms`,
 *   `cleanup.policy` and the spec's extra config as is; TOPIC_ALREADY_EXISTS is not an error (the
 *   existing topic is left as it is). Resolves once metadata shows every partition with a leader
 *   and every new partition answers ListOffsets, so producers and consumers can use it at once.
 * - deleteTopics: UnknownTopic for a topic that does not exist; resolves once metadata no longer
 *   lists the deleted ones.
 * - Topic config cannot be read back through node-rdkafka (no DescribeConfigs), so
 *   `TopicDescription.config` is what this process created the topic with ({} for a topic it
 *   did not create). Partition count and replication factor come from metadata.
 * Topics are never created by the broker on the fly: every client runs with
 * `allow.auto.create.topics=false`.
 */
import Kafka from 'node-rdkafka';
import type { IAdminClient, LibrdKafkaError, Metadata, NewTopic } from 'node-rdkafka';
import type { Admin, TopicDescription, TopicSpec, Watermarks } from '../../src/broker/Broker.js';
import { BrokerError, InvalidTopicSpec, UnknownPartition, UnknownTopic } from '../../src/broker/errors.js';
import type { TopicPartition } from '../../src/broker/Record.js';
import { connectWithRetry, disconnectOnce, logClientEvents } from './clientLifecycle.js';
import { adminConfig, type ClientSettings } from './config.js';
import { CODES, describe, errorCode, toBrokerError } from './kafkaErrors.js';
import type { KafkaLogger } from './logger.js';
import { TopicMetadataCache } from './TopicMetadataCache.js';

export interface KafkaAdminOptions {
  readonly settings: ClientSettings;
  readonly logger: KafkaLogger;
  /** Timeout of one admin or metadata request. */
  readonly requestTimeoutMs?: number;
  /** How long create/delete wait for the cluster's metadata to show the change. */
  readonly propagationTimeoutMs?: number;
}

const INVALID_SPEC = new Set<number>([
  CODES.ERR_TOPIC_EXCEPTION,
  CODES.ERR_INVALID_PARTITIONS,
  CODES.ERR_INVALID_REPLICATION_FACTOR,
  CODES.ERR_INVALID_REPLICA_ASSIGNMENT,
  CODES.ERR_INVALID_CONFIG,
  CODES.ERR_POLICY_VIOLATION,
]);

export class KafkaAdmin implements Admin {
  readonly topicCache: TopicMetadataCache;
  private adminClient: IAdminClient | undefined;
  private readonly metadataClient: Kafka.Producer;
  private readonly ready: Promise<void>;
  private readonly created = new Map<string, Readonly<Record<string, string>>>();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaAdminOptions) {
    const { settings, logger } = options;
    // A producer that never produces: just a connected client to ask for metadata and offsets.
    this.metadataClient = new Kafka.Producer(adminConfig(settings));
    logClientEvents(this.metadataClient, logger, settings.clientId);
    this.ready = connectWithRetry(this.metadataClient, {
      logger,
      clientName: settings.clientId,
      cancelled: () => this.closed,
    });
    this.ready.catch(() => undefined);
    this.topicCache = new TopicMetadataCache((topic) => this.metadata({ topic }));
  }

  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    for (const spec of topics) validate(spec);
    // One at a time: node-rdkafka runs admin requests one after another anyway (each holds the
    // client's lock, on a libuv pool thread, for up to the request timeout), and requests queued
    // behind a failed one would keep the pool, and so the process's exit, busy for minutes.
    const created: TopicSpec[] = [];
    for (const spec of topics) {
      if ((await this.createTopic(spec)) !== undefined) created.push(spec);
    }
    await this.waitForMetadata(
      topics.map((t) => t.name),
      (m, name) => {
        const t = m.topics.find((x) => x.name === name);
        return t !== undefined && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0);
      },
    );
    // Metadata names a leader before that broker has created the partition's log; a record sent
    // then is refused (NOT_LEADER), and with acks=0 the broker drops the connection and the record.
    // A partition that answers ListOffsets is being served.
    await Promise.all(
      created.flatMap((spec) =>
        Array.from({ length: spec.partitions }, (_, partition) =>
          this.watermarks({ topic: spec.name, partition }).catch((e: unknown) => {
            this.options.logger.warn('created topic not served yet', { topic: spec.name, partition, error: describe(e) });
          }),
        ),
      ),
    );
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    await Promise.all(names.map((name) => this.deleteTopic(name)));
    for (const name of names) {
      this.created.delete(name);
      this.topicCache.invalidate(name);
    }
    await this.waitForMetadata(names, (m, name) => !m.topics.some((t) => t.name === name && t.partitions.length > 0));
  }

  async listTopics(): Promise<TopicDescription[]> {
    const m = await this.metadata({ allTopics: true });
    return m.topics
      .filter((t) => !t.name.startsWith('__') && t.partitions.length > 0)
      .map((t) => this.description(t))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async describeTopic(name: string): Promise<TopicDescription | undefined> {
    if (illegalTopicName(name) !== undefined) return undefined;
    const m = await this.metadata({ topic: name });
    const t = m.topics.find((x) => x.name === name);
    if (t === undefined || t.partitions.length === 0) return undefined;
    return this.description(t);
  }

  async watermarks(tp: TopicPartition): Promise<Watermarks> {
    const count = await this.topicCache.partitionCount(tp.topic);
    if (count === undefined) throw new UnknownTopic(tp.topic);
    if (tp.partition < 0 || tp.partition >= count) throw new UnknownPartition(tp.topic, tp.partition);
    await this.ready;
    // Right after a topic is created or a leader moves, the broker may answer NOT_LEADER for a moment.
    return retrying(
      () =>
        new Promise<Watermarks>((resolve, reject) => {
          this.metadataClient.queryWatermarkOffsets(tp.topic, tp.partition, this.requestTimeoutMs(), (err, offsets) => {
            if (err) reject(toBrokerError(err, { action: `query watermarks of ${tp.topic}/${tp.partition}`, ...tp }));
            else resolve({ low: offsets.lowOffset, high: offsets.highOffset });
          });
        }),
      this.requestTimeoutMs(),
    );
  }

  async brokerCount(): Promise<number> {
    const m = await this.metadata({});
    return m.brokers.length;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      try {
        await this.ready;
      } catch {
        // never connected
      }
      await disconnectOnce(this.metadataClient);
      this.adminClient?.disconnect();
      this.adminClient = undefined;
    })();
    return this.closing;
  }

  private description(t: Metadata['topics'][number]): TopicDescription {
    return {
      name: t.name,
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicas.length ?? 0,
      config: this.created.get(t.name) ?? {},
    };
  }

  private admin(): IAdminClient {
    if (this.closed) throw new BrokerError('the broker is closed');
    // AdminClient.create only builds the librdkafka handle; it does not need the cluster yet.
    this.adminClient ??= Kafka.AdminClient.create(adminConfig(this.options.settings));
    return this.adminClient;
  }

  /** Resolves to the spec when this call created the topic, to undefined when it existed. */
  private createTopic(spec: TopicSpec): Promise<TopicSpec | undefined> {
    const config = topicConfig(spec);
    const newTopic: NewTopic = {
      topic: spec.name,
      num_partitions: spec.partitions,
      replication_factor: spec.replicationFactor,
      config,
    };
    return new Promise<TopicSpec | undefined>((resolve, reject) => {
      this.admin().createTopic(newTopic, this.requestTimeoutMs(), (err: LibrdKafkaError) => {
        const code = err ? errorCode(err) : CODES.ERR_NO_ERROR;
        if (code === CODES.ERR_NO_ERROR) {
          this.created.set(spec.name, config);
          resolve(spec);
        } else if (code === CODES.ERR_TOPIC_ALREADY_EXISTS) {
          resolve(undefined);
        } else if (code !== undefined && INVALID_SPEC.has(code)) {
          reject(new InvalidTopicSpec(`topic ${spec.name}: ${describe(err)}`, { cause: err }));
        } else {
          reject(toBrokerError(err, { action: `create topic ${spec.name}` }));
        }
      });
    });
  }

  private deleteTopic(name: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.admin().deleteTopic(name, this.requestTimeoutMs(), (err: LibrdKafkaError) => {
        const code = err ? errorCode(err) : CODES.ERR_NO_ERROR;
        if (code === CODES.ERR_NO_ERROR) resolve();
        else reject(toBrokerError(err, { action: `delete topic ${name}`, topic: name }));
      });
    });
  }

  private async metadata(request: { topic?: string; allTopics?: boolean }): Promise<Metadata> {
    if (this.closed) throw new BrokerError('the broker is closed');
    await this.ready;
    return new Promise<Metadata>((resolve, reject) => {
      this.metadataClient.getMetadata({ ...request, timeout: this.requestTimeoutMs() }, (err, m) => {
        if (err) reject(toBrokerError(err, { action: 'read cluster metadata' }));
        else resolve(m);
      });
    });
  }

  /** Polls metadata until `done` holds for every name; bounded, then gives up quietly. */
  private async waitForMetadata(names: readonly string[], done: (m: Metadata, name: string) => boolean): Promise<void> {
    const deadline = Date.now() + (this.options.propagationTimeoutMs ?? 15_000);
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      const m = await this.metadata({ allTopics: true });
      const missing = names.filter((name) => !done(m, name));
      if (missing.length === 0) return;
      if (Date.now() >= deadline) {
        this.options.logger.warn('topic metadata did not settle in time', { topics: missing });
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 10_000;
  }
}

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;
/** Kafka's topic name rule (org.apache.kafka.common.internals.Topic#validate). */
const MAX_NAME_LENGTH = 249;

function illegalTopicName(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name === '.' || name === '..') return `"${name}" is not allowed`;
  if (name.length > MAX_NAME_LENGTH) return `the name is longer than ${MAX_NAME_LENGTH} characters`;
  if (!LEGAL_NAME.test(name)) return 'the name may contain only ASCII letters, digits, ".", "_" and "-"';
  return undefined;
}

/** Runs `attempt` again after retriable BrokerErrors, with backoff, for at most `withinMs`. */
async function retrying<T>(attempt: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof BrokerError) || !e.retriable || Date.now() + wait >= deadline) throw e;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

function validate(spec: TopicSpec): void {
  const illegal = illegalTopicName(spec.name);
  if (illegal !== undefined) throw new InvalidTopicSpec(`topic ${spec.name}: ${illegal}`);
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new InvalidTopicSpec(`topic ${spec.name}: partitions must be a positive integer, not ${spec.partitions}`);
  }
  if (!Number.isInteger(spec.replicationFactor) || spec.replicationFactor < 1) {
    throw new InvalidTopicSpec(
      `topic ${spec.name}: replication factor must be a positive integer, not ${spec.replicationFactor}`,
    );
  }
}

/** The topic-level config Kafka gets for a spec. */
export function topicConfig(spec: TopicSpec): Record<string, string> {
  const config: Record<string, string> = { ...spec.config };
  if (spec.retentionMs !== undefined) config['retention.ms'] = String(spec.retentionMs);
  if (spec.cleanupPolicy !== undefined) config['cleanup.policy'] = spec.cleanupPolicy;
  return config;
}

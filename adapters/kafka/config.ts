/**
 * The librdkafka configuration the kafka adapter relies on, in one place (property names and
 * defaults: librdkafka 2.12 CONFIGURATION.md, vendored at
 * node_modules/node-rdkafka/deps/librdkafka/CONFIGURATION.md).
 *
 * Every client: `allow.auto.create.topics=false` (topics come from config/, never from a typo),
 * short reconnect backoff so a broker that was down for a while is picked up again quickly.
 *
 * Producer profiles (src/broker/Broker.ts `ProducerProfile`):
 * - reliable: `enable.idempotence=true` (implies acks=all, retries=INT32_MAX, in-order per
 *   partition with max.in.flight<=5), `acks=all`, `linger.ms=5`, `compression.type=lz4`.
 * - fire-and-forget: `acks=0`, no idempotence, `linger.ms=50`, bigger batches, lz4; the broker
 *   sends no response, so delivery reports carry no offsets.
 * Both: `partitioner=murmur2_random`, Java's default partitioner for keyed records, which is the
 * port's `partitionForKey` (src/broker/murmur2.ts); `dr_cb` for delivery reports.
 *
 * Consumer: `enable.auto.commit=false` and `enable.auto.offset.store=false` (SQLite holds the
 * offsets; commits to the group are explicit and advisory), the adapter's own `rebalance_cb` and
 * `offset_commit_cb` (see KafkaGroupConsumer.ts), and `partition.assignment.strategy`:
 * - a group that reads one topic: `cooperative-sticky`, so a rebalance revokes only the partitions
 *   that move and the others keep flowing;
 * - a group that reads several (an entity's co-partitioned inputs: a post's likes, comments and
 *   creation all on partition p): `range`, which gives each member the same partition numbers of
 *   every topic, as the port promises (src/broker/Broker.ts, ConsumerOptions.topics) and the memory
 *   broker does. cooperative-sticky balances the partitions of all topics together and may give
 *   likes p to one instance and comments p to another: two instances would then each host the
 *   same post's actor. range rebalances eagerly (every partition is revoked, then assigned again;
 *   a partition that stays keeps its local state, so it resumes at once).
 */
import type {
  ConsumerGlobalConfig,
  ConsumerTopicConfig,
  ProducerGlobalConfig,
  ProducerTopicConfig,
} from 'node-rdkafka';
import type { ProducerProfile } from '../../src/broker/Broker.js';

export interface ClientSettings {
  readonly brokers: string;
  readonly clientId: string;
  /** Extra librdkafka properties, applied last (e.g. `debug: 'cgrp,topic'`). */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
}

function common(settings: ClientSettings): Record<string, string | number | boolean> {
  return {
    'metadata.broker.list': settings.brokers,
    'client.id': settings.clientId,
    'allow.auto.create.topics': false,
    'socket.keepalive.enable': true,
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 2000,
    // Disconnects of idle connections are routine; real trouble still reaches event.error.
    'log.connection.close': false,
  };
}

export interface ProducerConfig {
  readonly global: ProducerGlobalConfig;
  /** `acks` and `partitioner` are topic-level properties in librdkafka. */
  readonly topic: ProducerTopicConfig;
}

export function producerConfig(settings: ClientSettings, profile: ProducerProfile): ProducerConfig {
  const reliable = profile === 'reliable';
  const global = {
    ...common(settings),
    ...(reliable
      ? { 'enable.idempotence': true, 'linger.ms': 5 }
      : {
          'enable.idempotence': false,
          'linger.ms': 50,
          'batch.num.messages': 50_000,
          'queue.buffering.max.messages': 500_000,
        }),
    'compression.type': 'lz4',
    dr_cb: true,
    ...settings.extra,
  };
  return {
    global: global as unknown as ProducerGlobalConfig,
    topic: { acks: reliable ? -1 : 0, partitioner: 'murmur2_random' },
  };
}

export interface ConsumerSettings extends ClientSettings {
  readonly groupId: string;
  /** The topics the group reads are co-partitioned (several): `range`, else `cooperative-sticky`. */
  readonly coPartitioned?: boolean;
  readonly rebalance: (err: unknown, assignment: unknown) => void;
  readonly offsetCommit: (err: unknown, offsets: unknown) => void;
}

export function consumerConfig(settings: ConsumerSettings): ConsumerGlobalConfig {
  return {
    ...common(settings),
    'group.id': settings.groupId,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'partition.assignment.strategy': settings.coPartitioned ? 'range' : 'cooperative-sticky',
    'enable.partition.eof': false,
    // Latency over fetch efficiency: a record reaches its actor within ~100 ms.
    'fetch.wait.max.ms': 100,
    // Bounded prefetch per consumer (the default 64 MiB is a lot for several consumers in one process).
    'queued.max.messages.kbytes': 16_384,
    'session.timeout.ms': 10_000,
    'heartbeat.interval.ms': 1_000,
    rebalance_cb: settings.rebalance,
    offset_commit_cb: settings.offsetCommit,
    ...settings.extra,
  } as unknown as ConsumerGlobalConfig;
}

/**
 * A reader of one partition outside any group (KafkaPartitionReader.ts): assigned by hand, never
 * subscribed, so the group id is only a name librdkafka requires; nothing is committed.
 */
export function readerConfig(settings: ClientSettings): ConsumerGlobalConfig {
  return {
    ...common(settings),
    'group.id': `${settings.clientId}-reader`,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'enable.partition.eof': true,
    'fetch.wait.max.ms': 100,
    'queued.max.messages.kbytes': 65_536,
    ...settings.extra,
  } as unknown as ConsumerGlobalConfig;
}

export function consumerTopicConfig(autoOffsetReset: 'earliest' | 'latest'): ConsumerTopicConfig {
  return { 'auto.offset.reset': autoOffsetReset };
}

export function adminConfig(settings: ClientSettings): Record<string, string | number | boolean> {
  return { ...common(settings), ...settings.extra };
}

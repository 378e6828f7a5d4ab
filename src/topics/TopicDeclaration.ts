/**
 * A topic as an application declares it in `config/`: its name by the convention
 * `<message type>.<dataset>.<data name>` (SPEC §2), its partitioning key, retention, cleanup
 * policy, producer profile, and the schema of the events it carries.
 */
import type { CleanupPolicy, ProducerProfile, TopicSpec } from '../broker/Broker.js';
import type { EventSchema } from '../events/EventSchema.js';

/** Chris Riccomini's message types, plus `internal` for topics the runtime derives itself. */
export const MESSAGE_TYPES = ['logging', 'queuing', 'tracking', 'etl', 'streaming', 'push', 'user', 'internal'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const FOREVER = -1;

export interface TopicDeclaration<E = unknown> {
  readonly name: string;
  readonly partitions: number;
  /** The field the record key holds, e.g. `user_id`. */
  readonly key: string;
  readonly retentionMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  readonly profile: ProducerProfile;
  readonly schema: EventSchema<E>;
  readonly description?: string;
}

export type DeploymentProfile = 'local' | 'production';

export function declareTopic<E>(
  messageType: MessageType,
  dataset: string,
  dataName: string,
  options: Omit<TopicDeclaration<E>, 'name' | 'cleanupPolicy' | 'profile'> &
    Partial<Pick<TopicDeclaration<E>, 'cleanupPolicy' | 'profile'>>,
): TopicDeclaration<E> {
  return {
    cleanupPolicy: 'delete',
    profile: 'reliable',
    ...options,
    name: `${messageType}.${dataset}.${dataName}`,
  };
}

/**
 * The broker-level spec of a declared topic. `local`: one replica. `production`: three replicas
 * and min.insync.replicas 2 for business topics; fire-and-forget topics (logs, metrics) keep two
 * replicas and accept one in sync.
 */
export function topicSpec(topic: TopicDeclaration, profile: DeploymentProfile): TopicSpec {
  const production = profile === 'production';
  const lossy = topic.profile === 'fire-and-forget';
  const replicationFactor = production ? (lossy ? 2 : 3) : 1;
  const config: Record<string, string> = {};
  if (production) config['min.insync.replicas'] = lossy ? '1' : '2';
  return {
    name: topic.name,
    partitions: topic.partitions,
    replicationFactor,
    retentionMs: topic.retentionMs,
    cleanupPolicy: topic.cleanupPolicy,
    config,
  };
}

/**
 * A topic of the `memory` adapter of the broker port (`src/broker/Broker.ts`): its spec as
 * created, the effective configuration Kafka would report, and one `PartitionLog` per partition.
 * The spec is what `LogJournal.ts` stores in `topics.json`.
 *
 * Validation follows the broker's own: legal characters `[a-zA-Z0-9._-]`, at most 249 of them,
 * not `.` or `..`, at least one partition, a replication factor the cluster can hold.
 */
import type { CleanupPolicy, TopicDescription, TopicSpec } from '../../src/broker/Broker.js';
import { InvalidTopicSpec } from '../../src/broker/errors.js';
import { murmur2 } from '../../src/broker/murmur2.js';
import { PartitionLog, type PartitionLogState } from './PartitionLog.js';

/** Kafka's defaults: log.retention.hours=168, delete.retention.ms=86400000. */
export const KAFKA_DEFAULT_RETENTION_MS = 604_800_000;
export const KAFKA_DEFAULT_DELETE_RETENTION_MS = 86_400_000;

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;
const MAX_NAME_LENGTH = 249;
const POLICIES: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete'];

/** Kafka refuses topics whose names differ only in '.' versus '_' (they collide in metric names). */
export const collisionKey = (name: string): string => name.replace(/\./g, '_');

/** Every problem with a spec, empty when it is valid. */
export function topicSpecProblems(spec: TopicSpec, brokers: number): string[] {
  const problems: string[] = [];
  const { name } = spec;
  if (typeof name !== 'string' || name.length === 0) problems.push('the name is empty');
  else {
    if (name === '.' || name === '..') problems.push(`"${name}" is not a legal topic name`);
    if (name.length > MAX_NAME_LENGTH) problems.push(`the name is longer than ${MAX_NAME_LENGTH} characters`);
    if (!LEGAL_NAME.test(name)) problems.push('the name has characters outside [a-zA-Z0-9._-]');
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    problems.push(`partitions must be a whole number ≥ 1, not ${spec.partitions}`);
  }
  if (!Number.isInteger(spec.replicationFactor) || spec.replicationFactor < 1) {
    problems.push(`replication factor must be a whole number ≥ 1, not ${spec.replicationFactor}`);
  } else if (spec.replicationFactor > brokers) {
    problems.push(`replication factor ${spec.replicationFactor} is larger than the ${brokers} broker(s) available`);
  }
  const retention = effectiveRetentionMs(spec);
  if (!Number.isInteger(retention) || retention < -1) problems.push(`retention.ms must be -1 or ≥ 0, not ${retention}`);
  const policy = effectiveCleanupPolicy(spec);
  if (!POLICIES.includes(policy)) problems.push(`cleanup.policy must be one of ${POLICIES.join(' | ')}, not ${policy}`);
  return problems;
}

export function assertValidTopicSpecs(specs: readonly TopicSpec[], brokers: number): void {
  const problems = specs.flatMap((spec) =>
    topicSpecProblems(spec, brokers).map((p) => `topic ${JSON.stringify(spec.name)}: ${p}`),
  );
  if (problems.length > 0) throw new InvalidTopicSpec(problems.join('; '));
}

function effectiveRetentionMs(spec: TopicSpec): number {
  if (spec.retentionMs !== undefined) return spec.retentionMs;
  const configured = spec.config?.['retention.ms'];
  return configured !== undefined ? Number(configured) : KAFKA_DEFAULT_RETENTION_MS;
}

function effectiveCleanupPolicy(spec: TopicSpec): CleanupPolicy {
  return spec.cleanupPolicy ?? (spec.config?.['cleanup.policy'] as CleanupPolicy | undefined) ?? 'delete';
}

/**
 * `partitionForKey` of `src/broker/murmur2.ts`, same bytes and same hash, but encoding into one
 * reused buffer: `TextEncoder.encode` allocates per call and was half the cost of a produce.
 */
const encoder = new TextEncoder();
let keyBytes = new Uint8Array(1024);

export function keyPartition(key: string, partitions: number): number {
  if (key.length * 3 > keyBytes.length) keyBytes = new Uint8Array(key.length * 3);
  const { written } = encoder.encodeInto(key, keyBytes);
  return (murmur2(keyBytes.subarray(0, written)) & 0x7fffffff) % partitions;
}

export class MemoryTopic {
  readonly name: string;
  readonly logs: readonly PartitionLog[];
  readonly retentionMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  readonly deleteRetentionMs: number;
  readonly config: Readonly<Record<string, string>>;
  /** Next partition for a record without key: round robin, deterministic for the simulation. */
  private nextUnkeyed = 0;

  /** `spec` must be valid (see `assertValidTopicSpecs`); `state` is what the journal loaded. */
  constructor(
    readonly spec: TopicSpec,
    state: (partition: number) => PartitionLogState | undefined = () => undefined,
  ) {
    this.name = spec.name;
    this.retentionMs = effectiveRetentionMs(spec);
    this.cleanupPolicy = effectiveCleanupPolicy(spec);
    const deleteRetention = spec.config?.['delete.retention.ms'];
    this.deleteRetentionMs =
      deleteRetention !== undefined ? Number(deleteRetention) : KAFKA_DEFAULT_DELETE_RETENTION_MS;
    this.config = {
      ...spec.config,
      'retention.ms': String(this.retentionMs),
      'cleanup.policy': this.cleanupPolicy,
    };
    this.logs = Array.from({ length: spec.partitions }, (_, p) => new PartitionLog(spec.name, p, state(p)));
  }

  get partitions(): number {
    return this.logs.length;
  }

  get compacted(): boolean {
    return this.cleanupPolicy !== 'delete';
  }

  describe(): TopicDescription {
    return {
      name: this.name,
      partitions: this.partitions,
      replicationFactor: this.spec.replicationFactor,
      config: { ...this.config },
    };
  }

  /** Kafka's default partitioner: murmur2 for keys, spread for the rest. */
  partitionFor(key: string | null): number {
    if (key !== null) return keyPartition(key, this.logs.length);
    const p = this.nextUnkeyed;
    this.nextUnkeyed = (p + 1) % this.logs.length;
    return p;
  }

  /**
   * Applies retention (`delete`) and compaction (`compact`) at time `now`; returns the partitions
   * whose log changed, so that their journals can be rewritten.
   */
  maintain(now: number): { log: PartitionLog; removed: number }[] {
    const changed: { log: PartitionLog; removed: number }[] = [];
    const deletes = this.cleanupPolicy !== 'compact' && this.retentionMs >= 0;
    for (const log of this.logs) {
      let removed = 0;
      if (deletes) removed += log.dropBefore(now - this.retentionMs);
      if (this.compacted) removed += log.compact(now - this.deleteRetentionMs);
      if (removed > 0) changed.push({ log, removed });
    }
    return changed;
  }
}

/**
 * `kastor topics check`: validates the declared topics against Kafka's rules and SPEC §2's
 * guidelines, and prints the plan.
 */
import { MESSAGE_TYPES, type DeploymentProfile, type TopicDeclaration, topicSpec } from './TopicDeclaration.js';

/** Partition budgets from the seed's cluster guidelines. */
export const PARTITIONS_PER_BROKER = 4_000;
export const PARTITIONS_PER_CLUSTER_ZOOKEEPER = 200_000;

export interface TopicProblem {
  readonly topic: string;
  readonly problem: string;
}

export interface TopicPlan {
  readonly rows: ReadonlyArray<{ name: string; partitions: number; replicationFactor: number; key: string; retention: string; cleanup: string; profile: string }>;
  readonly problems: readonly TopicProblem[];
  readonly totalPartitions: number;
  readonly totalReplicas: number;
}

const LEGAL = /^[a-zA-Z0-9._-]+$/;
const CONVENTION = new RegExp(`^(${MESSAGE_TYPES.join('|')})\\.[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$`);

export function checkTopics(
  topics: readonly TopicDeclaration[],
  options: { profile: DeploymentProfile; brokers: number; kraft?: boolean },
): TopicPlan {
  const problems: TopicProblem[] = [];
  const seen = new Set<string>();
  let totalPartitions = 0;
  let totalReplicas = 0;
  const rows = topics.map((t) => {
    const spec = topicSpec(t, options.profile);
    const p = (problem: string) => problems.push({ topic: t.name, problem });
    if (seen.has(t.name)) p('declared twice');
    seen.add(t.name);
    if (!LEGAL.test(t.name)) p('illegal characters: Kafka allows only [a-zA-Z0-9._-]');
    if (t.name.length > 249) p(`name is ${t.name.length} characters; Kafka's limit is 249`);
    if (t.name === '.' || t.name === '..') p('"." and ".." are not topic names');
    if (!CONVENTION.test(t.name)) p(`does not follow <message type>.<dataset>.<data name> in snake_case (message types: ${MESSAGE_TYPES.join(', ')})`);
    if (!Number.isInteger(t.partitions) || t.partitions < 1) p('partitions must be a positive integer');
    if (spec.replicationFactor > options.brokers) p(`replication factor ${spec.replicationFactor} exceeds the ${options.brokers} broker(s)`);
    totalPartitions += t.partitions;
    totalReplicas += t.partitions * spec.replicationFactor;
    return {
      name: t.name,
      partitions: t.partitions,
      replicationFactor: spec.replicationFactor,
      key: t.key,
      retention: t.retentionMs < 0 ? 'forever' : formatMs(t.retentionMs),
      cleanup: t.cleanupPolicy,
      profile: t.profile,
    };
  });
  const perBroker = totalReplicas / Math.max(1, options.brokers);
  if (perBroker > PARTITIONS_PER_BROKER) {
    problems.push({ topic: '*', problem: `${Math.ceil(perBroker)} partition replicas per broker exceed the guideline of ${PARTITIONS_PER_BROKER}` });
  }
  if (!options.kraft && totalReplicas > PARTITIONS_PER_CLUSTER_ZOOKEEPER) {
    problems.push({ topic: '*', problem: `${totalReplicas} partitions exceed ZooKeeper's cluster guideline of ${PARTITIONS_PER_CLUSTER_ZOOKEEPER}` });
  }
  return { rows, problems, totalPartitions, totalReplicas };
}

export function formatPlan(plan: TopicPlan): string {
  const header = ['topic', 'partitions', 'rf', 'key', 'retention', 'cleanup', 'producer'];
  const table = [header, ...plan.rows.map((r) => [r.name, String(r.partitions), String(r.replicationFactor), r.key, r.retention, r.cleanup, r.profile])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const lines = table.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  lines.push('', `${plan.rows.length} topics, ${plan.totalPartitions} partitions, ${plan.totalReplicas} partition replicas`);
  if (plan.problems.length === 0) lines.push('no problems found');
  for (const pr of plan.problems) lines.push(`PROBLEM ${pr.topic}: ${pr.problem}`);
  return lines.join('\n');
}

function formatMs(ms: number): string {
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];
  for (const [u, n] of units) if (ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

/**
 * Kafka's RangeAssignor (org.apache.kafka.clients.consumer.RangeAssignor), used by the `memory`
 * adapter's group coordinator (broker port, `src/broker/Broker.ts`). No on-disk format.
 *
 * Per topic, the members subscribed to it are sorted by member id; the first `n % m` of them get
 * `⌈n/m⌉` consecutive partitions, the rest `⌊n/m⌋`. So with 3 partitions and 2 members the first
 * gets 0 and 1, the second 2; a member past the partition count gets nothing of that topic.
 */
import type { TopicPartition } from '../../src/broker/Record.js';

export interface Subscription {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/**
 * Assignment per member id (every member present, possibly with nothing). Topics for which
 * `partitionsOf` says undefined (deleted, never created) are skipped.
 */
export function rangeAssign(
  members: readonly Subscription[],
  partitionsOf: (topic: string) => number | undefined,
): Map<string, TopicPartition[]> {
  const assignment = new Map<string, TopicPartition[]>();
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  for (const m of sorted) assignment.set(m.memberId, []);
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const partitions = partitionsOf(topic);
    if (partitions === undefined) continue;
    const subscribers = sorted.filter((m) => m.topics.includes(topic));
    const per = Math.floor(partitions / subscribers.length);
    const extra = partitions % subscribers.length;
    subscribers.forEach((m, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      const mine = assignment.get(m.memberId)!;
      for (let p = start; p < start + length; p++) mine.push({ topic, partition: p });
    });
  }
  return assignment;
}

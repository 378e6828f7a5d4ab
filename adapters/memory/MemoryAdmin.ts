/**
 * `Admin` of the `memory` adapter of the broker port (`src/broker/Broker.ts`): topic
 * administration on a `MemoryCluster`. Topic specs land in `topics.json` when the broker has a
 * `dir` (see `LogJournal.ts`).
 *
 * As with a Kafka cluster that has auto-creation off: `createTopics` validates every spec first
 * (`InvalidTopicSpec`, nothing created if one is wrong) and leaves existing topics alone;
 * `deleteTopics` of a missing topic fails with `UnknownTopic` and deletes nothing.
 */
import type { Admin, TopicDescription, TopicSpec, Watermarks } from '../../src/broker/Broker.js';
import type { TopicPartition } from '../../src/broker/Record.js';
import type { MemoryCluster } from './MemoryCluster.js';

export class MemoryAdmin implements Admin {
  constructor(private readonly cluster: MemoryCluster) {}

  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    this.cluster.assertOpen();
    this.cluster.createTopics(topics);
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    this.cluster.assertOpen();
    this.cluster.deleteTopics(names);
  }

  async listTopics(): Promise<TopicDescription[]> {
    this.cluster.assertOpen();
    return this.cluster.topicList().map((t) => t.describe());
  }

  async describeTopic(name: string): Promise<TopicDescription | undefined> {
    this.cluster.assertOpen();
    return this.cluster.topic(name)?.describe();
  }

  async watermarks(tp: TopicPartition): Promise<Watermarks> {
    this.cluster.assertOpen();
    const log = this.cluster.requireLog(tp);
    return { low: log.low, high: log.high };
  }

  async brokerCount(): Promise<number> {
    this.cluster.assertOpen();
    return this.cluster.settings.brokers;
  }
}

/**
 * Partition counts of existing topics, from cluster metadata. The producer checks a record's topic
 * and partition against it before handing the record to librdkafka, which would otherwise hold a
 * record for an unknown topic for `topic.metadata.propagation.max.ms` (30 s) before failing it.
 * Only existing topics are cached, for a minute (another process may delete and re-create one);
 * the admin invalidates an entry when it deletes a topic.
 */
import type { Metadata } from 'node-rdkafka';

export type MetadataFetch = (topic: string) => Promise<Metadata>;

const TTL_MS = 60_000;

export class TopicMetadataCache {
  private readonly counts = new Map<string, { readonly count: number; readonly at: number }>();

  constructor(private readonly fetch: MetadataFetch) {}

  /** The topic's partition count, or undefined when the cluster does not know the topic. */
  async partitionCount(topic: string): Promise<number | undefined> {
    const known = this.counts.get(topic);
    if (known !== undefined && Date.now() - known.at < TTL_MS) return known.count;
    const metadata = await this.fetch(topic);
    const t = metadata.topics.find((x) => x.name === topic);
    const count = t?.partitions.length ?? 0;
    if (count === 0) {
      this.counts.delete(topic);
      return undefined;
    }
    this.counts.set(topic, { count, at: Date.now() });
    return count;
  }

  invalidate(topic: string): void {
    this.counts.delete(topic);
  }
}

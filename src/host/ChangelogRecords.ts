/**
 * What an entity's changelog topic holds (topology.ts `changelogTopic`), one partition per input
 * partition, compacted:
 *   - an actor's state: key = the actor's key, value = `{"seen":[…],"snapshot":{…}}` (the two JSON
 *     texts the state store keeps, side by side, not re-encoded); a null value deletes it;
 *   - an offset marker: key = NUL + `offset:` + input topic, header `kastor.changelog: offsets`,
 *     value = `{"topic","partition","offset"}`: the next input offset the state before it reflects.
 * The runner writes a batch's markers after its snapshots, in the same send, so that on one
 * partition a marker follows the state it vouches for; a restore applies what precedes the last
 * marker and drops what follows it (a send cut off by a crash). Kafka compaction keeps the latest
 * record of each key, which is all a restore needs.
 */
import { type BrokerRecord, NO_HEADERS, type TopicPartitionOffset } from '../broker/Record.js';
import type { OutboxRecord, SnapshotWrite } from '../store/StateStore.js';

export const CHANGELOG_HEADER = 'kastor.changelog';
const MARKER_PREFIX = '\u0000offset:';
const MARKER_HEADERS = Object.freeze({ [CHANGELOG_HEADER]: 'offsets' });

export function stateRecord(topic: string, partition: number, write: SnapshotWrite): OutboxRecord {
  return { topic, partition, key: write.key, value: `{"seen":${write.seen},"snapshot":${write.snapshot}}`, headers: NO_HEADERS };
}

export function offsetMarker(topic: string, offset: TopicPartitionOffset): OutboxRecord {
  return {
    topic,
    partition: offset.partition,
    key: `${MARKER_PREFIX}${offset.topic}`,
    value: JSON.stringify({ topic: offset.topic, partition: offset.partition, offset: offset.offset }),
    headers: MARKER_HEADERS,
  };
}

export type ChangelogEntry =
  | { readonly kind: 'state'; readonly write: SnapshotWrite }
  | { readonly kind: 'deleted'; readonly key: string }
  | { readonly kind: 'offset'; readonly offset: TopicPartitionOffset };

/** Reads a changelog record back; throws on one this runtime did not write. */
export function readChangelogRecord(record: BrokerRecord): ChangelogEntry {
  const where = `${record.topic}/${record.partition}@${record.offset}`;
  if (record.key === null) throw new Error(`changelog record ${where} has no key`);
  if (record.headers[CHANGELOG_HEADER] === 'offsets') {
    const o = JSON.parse(record.value ?? 'null') as TopicPartitionOffset | null;
    if (!o || typeof o.topic !== 'string' || !Number.isInteger(o.partition) || !Number.isInteger(o.offset)) {
      throw new Error(`changelog offset marker ${where} is malformed: ${record.value}`);
    }
    return { kind: 'offset', offset: o };
  }
  if (record.value === null) return { kind: 'deleted', key: record.key };
  const { seen, snapshot } = JSON.parse(record.value) as { seen?: unknown; snapshot?: { kastorTimers?: Array<{ due: number }> } };
  if (!Array.isArray(seen) || typeof snapshot !== 'object' || snapshot === null) {
    throw new Error(`changelog state ${where} is malformed: ${record.value.slice(0, 200)}`);
  }
  const dues = (snapshot.kastorTimers ?? []).map((t) => t.due);
  return {
    kind: 'state',
    write: {
      key: record.key,
      snapshot: JSON.stringify(snapshot),
      seen: JSON.stringify(seen),
      timer: { partition: record.partition, due: dues.length > 0 ? Math.min(...dues) : null },
    },
  };
}

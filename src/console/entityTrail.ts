/**
 * The inspector's record trail of one key: the last records that reached its actor (on each input
 * topic as the actor reads it — the repartition topic for a re-keyed input) and the last events it
 * emitted keyed by it, read back from the log as a Kafka UI would: the tail of the one partition
 * the key hashes to, filtered by key. Nothing is recorded on the event path for it; a key whose
 * records are older than the tail scanned shows fewer.
 */
import { lastValueFrom, reduce } from 'rxjs';
import type { Broker } from '../broker/Broker.js';
import { partitionForKey } from '../broker/murmur2.js';
import type { BrokerRecord } from '../broker/Record.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import { repartitionTopic } from '../host/topology.js';
import { notFound } from '../http/HttpError.js';
import type { TopicPartitionCounts } from './consoleTopology.js';

export interface TrailRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch ms. */
  readonly timestamp: number;
  /** The event's `type`, when the value is an event. */
  readonly type: string | null;
  readonly value: unknown;
}

export interface EntityTrail {
  /** Records that reached the actor, newest first. */
  readonly inputs: readonly TrailRecord[];
  /** Events it emitted (keyed by it), newest first. */
  readonly outputs: readonly TrailRecord[];
  /** Records read back from the end of each partition looked at. */
  readonly scanned: number;
}

export interface TrailDeps {
  readonly broker: Broker;
  readonly partitions: TopicPartitionCounts;
}

/** How far back from the end of each partition the trail looks. */
export const TRAIL_SCAN = 5_000;

export async function entityTrail(deps: TrailDeps, app: AppDefinition, entityName: string, key: string, limit: number): Promise<EntityTrail> {
  const entity = app.entities.find((e) => e.name === entityName);
  if (!entity) throw notFound(`no entity ${entityName} in app ${app.name}`);
  const inputs = entity.inputs.map((input) => (repartitionTopic(app.name, input) ?? input.topic).name);
  const outputs = [...new Set(Object.values(entity.outputs).map((t) => t.name))];
  const [ins, outs] = await Promise.all([tails(deps, inputs, key, limit), tails(deps, outputs, key, limit)]);
  return { inputs: ins, outputs: outs, scanned: TRAIL_SCAN };
}

async function tails(deps: TrailDeps, topics: readonly string[], key: string, limit: number): Promise<TrailRecord[]> {
  const found = (await Promise.all(topics.map((topic) => tail(deps, topic, key)))).flat();
  found.sort((a, b) => b.timestamp - a.timestamp || b.offset - a.offset);
  return found.slice(0, limit);
}

async function tail(deps: TrailDeps, topic: string, key: string): Promise<TrailRecord[]> {
  const count = await deps.partitions.of(topic);
  if (count === 0) return [];
  const partition = partitionForKey(key, count);
  const { low, high } = await deps.broker.admin.watermarks({ topic, partition });
  if (high <= low) return [];
  const read = deps.broker.readPartition({ topic, partition }, { from: Math.max(low, high - TRAIL_SCAN) });
  const records = await lastValueFrom(read.pipe(reduce((all, batch) => {
    for (const r of batch) if (r.key === key && r.offset < high) all.push(r);
    return all;
  }, [] as BrokerRecord[])));
  return records.map((r) => {
    let value: unknown = r.value;
    try {
      value = r.value === null ? null : JSON.parse(r.value);
    } catch {
      // not JSON: shown as it is
    }
    const type = typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' ? (value as { type: string }).type : null;
    return { topic, partition, offset: r.offset, timestamp: r.timestamp, type, value };
  });
}

/**
 * The console's entity inspector: one key's actor as the process holds it — its state value and
 * context, its pending `after` timers, its stored snapshot's size, the partition that owns it and
 * the offsets the stage stored for that partition. A passivated actor is read from its snapshot
 * (ActorHost.snapshotOf reads the store and wakes nothing).
 */
import { partitionForKey } from '../broker/murmur2.js';
import type { ActorHost } from '../host/ActorHost.js';
import type { Runtime } from '../host/Runtime.js';
import { HttpError, notFound } from '../http/HttpError.js';
import type { StateStore } from '../store/StateStore.js';
import type { TopicPartitionCounts } from './consoleTopology.js';

export interface EntityView {
  readonly app: string;
  readonly entity: string;
  readonly key: string;
  /** Held in memory now; false: passivated, read from its snapshot. */
  readonly live: boolean;
  readonly status: unknown;
  readonly value: unknown;
  readonly context: unknown;
  /** Delayed events pending, as of the last commit: the event's type and when it falls due. */
  readonly timers: readonly { readonly event: string; readonly due: string }[];
  /** Bytes of the stored snapshot (0: not committed yet). */
  readonly snapshotBytes: number;
  readonly partition: number;
  /** The worker thread that holds it (`--workers` above 1). */
  readonly worker?: number;
  /** The next offset the stage reads on each input topic's owning partition. */
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number | null }[];
}

export interface InspectorDeps {
  readonly runtime: Runtime;
  readonly store: StateStore;
  readonly partitions: TopicPartitionCounts;
}

interface StoredTimer {
  readonly event?: { readonly type?: string };
  readonly due?: number;
}

/** The entity's actor host, or 404 naming what is missing. */
export function hostNamed(runtime: Runtime, app: string, entity: string): ActorHost {
  try {
    return runtime.host(app, entity);
  } catch (e) {
    throw new HttpError(404, (e as Error).message);
  }
}

export async function inspectEntity(deps: InspectorDeps, app: string, entity: string, key: string): Promise<EntityView> {
  const host = hostNamed(deps.runtime, app, entity);
  const live = host.isLive(key);
  const snapshot = host.snapshotOf(key) as { status?: unknown; value?: unknown; context?: unknown } | undefined;
  if (snapshot === undefined) throw notFound(`no ${entity} ${key} in ${app}: no event for that key reached this process`);
  const stored = deps.store.stage(host.name).loadSnapshot(key);
  const timers = stored ? ((JSON.parse(stored.snapshot) as { kastorTimers?: StoredTimer[] }).kastorTimers ?? []) : [];
  // An entity's inputs are co-partitioned (one key, one partition number on every input topic).
  const counts = await Promise.all(host.topics.map((t) => deps.partitions.of(t)));
  const partition = partitionForKey(key, Math.max(1, counts[0] ?? 1));
  const tps = host.topics.map((topic) => ({ topic, partition }));
  const offsets = deps.store.stage(host.name).offsets(tps);
  return {
    app,
    entity,
    key,
    live,
    status: snapshot.status,
    value: snapshot.value,
    context: snapshot.context,
    timers: timers.map((t) => ({ event: t.event?.type ?? '?', due: new Date(t.due ?? 0).toISOString() })),
    snapshotBytes: stored ? Buffer.byteLength(stored.snapshot) : 0,
    partition,
    offsets: tps.map((tp) => ({ ...tp, offset: offsets.get(`${tp.topic}/${tp.partition}`) ?? null })),
  };
}

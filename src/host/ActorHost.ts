/**
 * The actor host (SPEC §1): record for key K → the XState actor for K, created from the machine on
 * first use or rehydrated from its snapshot; what actors `emit` becomes the outbox. At most
 * `maxLiveActors` stay in memory (LRU); the others live in the store only.
 */
import { type AnyActorRef, type AnyStateMachine, createActor } from 'xstate';
import type { BrokerRecord } from '../broker/Record.js';
import type { Clock } from '../clock/Clock.js';
import { type EventEnvelope, type EventSchema, MalformedEvent, decodeEvent } from '../events/EventSchema.js';
import type { IdSource } from '../ids/IdSource.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { OutboxRecord, SnapshotWrite, StageStore } from '../store/StateStore.js';
import type { TopicDeclaration } from '../topics/TopicDeclaration.js';
import { type BatchContext, type BatchWork, RecordFailed, type Stage } from './Stage.js';

export interface ActorHostOptions {
  readonly name: string;
  readonly machine: AnyStateMachine;
  /** Topic name → schema of the events it carries (repartition topics included). */
  readonly inputs: ReadonlyMap<string, EventSchema<EventEnvelope>>;
  /** Emitted event type → the topic it goes to. */
  readonly outputs: Readonly<Record<string, TopicDeclaration>>;
  readonly store: StageStore;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly maxLiveActors?: number;
  readonly metrics?: Metrics;
}

/** Ids of the last events an actor applied, kept with its snapshot to drop redeliveries. */
const SEEN = 32;

interface Cell {
  readonly key: string;
  readonly partition: number;
  readonly actor: AnyActorRef;
  readonly seen: string[];
}

interface Emitted {
  readonly type: string;
  readonly key?: string;
  readonly id?: string;
  readonly at?: string;
}

export class ActorHost implements Stage {
  readonly name: string;
  readonly topics: readonly string[];
  private readonly live = new Map<string, Cell>();
  private readonly touched = new Set<Cell>();
  private emitted: Emitted[] = [];
  private readonly maxLive: number;
  private readonly liveGauge?: (labels: Record<string, string>, v: number) => void;
  private readonly passivations?: (labels?: Record<string, string>, by?: number) => void;
  private readonly duplicates?: (labels?: Record<string, string>, by?: number) => void;

  constructor(private readonly options: ActorHostOptions) {
    this.name = options.name;
    this.topics = [...options.inputs.keys()];
    this.maxLive = options.maxLiveActors ?? 10_000;
    if (options.metrics) {
      this.liveGauge = options.metrics.gauge('kastor_live_actors', 'Actors held in memory');
      this.passivations = options.metrics.counter('kastor_passivations_total', 'Actors evicted to the store');
      this.duplicates = options.metrics.counter('kastor_duplicates_total', 'Redelivered events dropped by id');
    }
  }

  get liveActors(): number {
    return this.live.size;
  }

  process(records: readonly BrokerRecord[], context: BatchContext): BatchWork {
    const outbox: OutboxRecord[] = [];
    for (const record of records) {
      if (context.skip.has(record.offset)) continue;
      const event = this.decode(record, context);
      if (!event) continue;
      const cell = this.cell(record.key!, record.partition);
      if (cell.seen.includes(event.id)) {
        this.duplicates?.({ stage: this.name });
        continue;
      }
      this.touched.add(cell);
      this.deliver(cell, event, record);
      cell.seen.push(event.id);
      if (cell.seen.length > SEEN) cell.seen.shift();
      for (const e of this.emitted) outbox.push(this.toOutbox(e, event, record));
    }
    const snapshots: SnapshotWrite[] = [];
    for (const cell of this.touched) {
      snapshots.push({
        key: cell.key,
        snapshot: JSON.stringify(cell.actor.getPersistedSnapshot()),
        seen: JSON.stringify(cell.seen),
      });
    }
    return { snapshots, outbox, committed: () => this.committed() };
  }

  abort(): void {
    // Actors changed by the failed batch go back to their stored snapshot on next use.
    for (const cell of this.touched) this.evict(cell);
    this.touched.clear();
  }

  revoked(_topic: string, partition: number): void {
    for (const cell of [...this.live.values()]) if (cell.partition === partition) this.evict(cell);
  }

  close(): void {
    for (const cell of [...this.live.values()]) this.evict(cell);
  }

  /** The current snapshot of K's actor, from memory or the store (for specs and tools). */
  snapshotOf(key: string): unknown {
    const cell = this.live.get(key);
    if (cell) return cell.actor.getSnapshot();
    const stored = this.options.store.loadSnapshot(key);
    return stored ? JSON.parse(stored.snapshot) : undefined;
  }

  private decode(record: BrokerRecord, context: BatchContext): EventEnvelope | undefined {
    if (record.key === null) {
      context.deadLetter(record, 'record has no key: an actor input must be keyed by its entity id');
      return undefined;
    }
    const schema = this.options.inputs.get(record.topic);
    try {
      if (!schema) throw new MalformedEvent(`no schema for topic ${record.topic}`);
      return decodeEvent(schema, record.value);
    } catch (e) {
      context.deadLetter(record, e instanceof MalformedEvent ? e.reason : String(e));
      return undefined;
    }
  }

  private deliver(cell: Cell, event: EventEnvelope, record: BrokerRecord): void {
    this.emitted = [];
    try {
      cell.actor.send(event);
    } catch (e) {
      throw new RecordFailed(record, `actor ${this.name}/${cell.key} threw: ${(e as Error).message}`, e);
    }
    const snapshot = cell.actor.getSnapshot();
    if (snapshot.status === 'error') {
      const error = snapshot.error as Error | undefined;
      throw new RecordFailed(record, `actor ${this.name}/${cell.key} failed: ${error?.message ?? String(error)}`, error);
    }
  }

  private toOutbox(e: Emitted, cause: EventEnvelope, record: BrokerRecord): OutboxRecord {
    const topic = this.options.outputs[e.type];
    if (!topic) throw new RecordFailed(record, `actor ${this.name} emitted ${e.type}, which has no output topic`);
    const envelope = { ...e, id: e.id ?? this.options.ids.next(), at: e.at ?? cause.at, key: e.key ?? cause.key };
    return { topic: topic.name, key: envelope.key, value: JSON.stringify(envelope), headers: {} };
  }

  private cell(key: string, partition: number): Cell {
    const found = this.live.get(key);
    if (found) {
      // Re-insert to keep the map in least-recently-used order.
      this.live.delete(key);
      this.live.set(key, found);
      return found;
    }
    const stored = this.options.store.loadSnapshot(key);
    const actor = createActor(this.options.machine, {
      input: { key },
      clock: this.options.clock,
      ...(stored ? { snapshot: JSON.parse(stored.snapshot) } : {}),
    });
    actor.on('*', (e: Emitted) => this.emitted.push(e));
    // Failures are data (snapshot.status 'error'); without an observer XState would rethrow them.
    actor.subscribe({ error: () => undefined });
    actor.start();
    const cell: Cell = { key, partition, actor, seen: stored ? JSON.parse(stored.seen) : [] };
    this.live.set(key, cell);
    return cell;
  }

  private committed(): void {
    this.touched.clear();
    const excess = this.live.size - this.maxLive;
    if (excess > 0) {
      let evicted = 0;
      for (const cell of this.live.values()) {
        if (evicted >= excess) break;
        this.evict(cell);
        evicted++;
      }
      this.passivations?.({ stage: this.name }, evicted);
    }
    this.liveGauge?.({ stage: this.name }, this.live.size);
  }

  private evict(cell: Cell): void {
    cell.actor.stop();
    this.live.delete(cell.key);
  }
}

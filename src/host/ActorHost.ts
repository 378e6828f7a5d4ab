/**
 * The actor host (SPEC §1): record for key K → the XState actor for K, created from the machine on
 * first use or rehydrated from its snapshot; what actors `emit` becomes the outbox. At most
 * `maxLiveActors` stay in memory; the others live in the store only. Eviction is least recently
 * used by the second-chance (CLOCK) approximation: a use only sets a flag, and the flags are read
 * when actors must go, so a host with room to spare pays nothing per event to keep the order.
 *
 * Delayed transitions (`after`) survive restarts and passivation, which XState does not do by
 * itself (its scheduler stamps wall-clock time and re-arms the full delay): each actor runs on a
 * clock wrapper that notes when every scheduled event is due; pending timers are stored in the
 * snapshot (`kastorTimers`) and indexed by due time, re-armed for the time that is left on
 * rehydration, and a passivated actor is woken when its earliest timer falls due. A timer firing
 * is committed like a batch without offsets (LocalCommitter).
 */
import { type AnyActorRef, type AnyMachineSnapshot, type AnyStateMachine, type InspectionEvent, type Snapshot, createActor } from 'xstate';
import { type BrokerRecord, NO_HEADERS } from '../broker/Record.js';
import { type Clock, type TimerHandle, isoAt } from '../clock/Clock.js';
import { type EventEnvelope, type EventSchema, MalformedEvent, decodeEvent } from '../events/EventSchema.js';
import type { IdSource } from '../ids/IdSource.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { OutboxRecord, SnapshotWrite, StageStore } from '../store/StateStore.js';
import type { TopicDeclaration } from '../topics/TopicDeclaration.js';
import { stateRecord } from './ChangelogRecords.js';
import { MachineStepper, NeedsActor, steppable } from './MachineStepper.js';
import { type BatchContext, type BatchWork, type LocalCommitter, RecordFailed, type Stage } from './Stage.js';

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
  /** The changelog topic that backs the actors' state (topology.ts `changelogTopic`), if any. */
  readonly changelog?: string;
  /**
   * Told of what XState's actors do (its inspection API), e.g. for statechart coverage; off by
   * default. Entities stepped without an actor (MachineStepper.ts) report their microsteps only.
   */
  readonly inspect?: (event: InspectionEvent) => void;
  /**
   * Every entity a live XState actor, also when its machine could be stepped without one
   * (MachineStepper.ts: the default for machines with no invoke, spawn or delayed event).
   */
  readonly liveActors?: boolean;
}

/** Ids of the last events an actor applied, kept with its snapshot to drop redeliveries. */
const SEEN = 32;

interface Cell {
  readonly key: string;
  readonly partition: number;
  /** The entity's actor, or (machines stepped without one) its snapshot. */
  actor?: AnyActorRef;
  snapshot?: AnyMachineSnapshot;
  readonly seen: string[];
  /** Due time of each event XState scheduled (actors only), by the scheduler's entry object. */
  dues?: WeakMap<object, number>;
  /** Whether the store holds a timer row for the key (so that only a change is written). */
  timerStored: boolean;
  /** Used since the eviction sweep last passed it (second chance). */
  used: boolean;
  /**
   * The XState snapshot last persisted, and what it persisted to: XState keeps the same snapshot
   * object when an event changes nothing, and then so does the stored state (bar `seen`).
   */
  persistedOf?: unknown;
  persisted?: { readonly json: string; readonly due: number | null; readonly timers: number };
}

interface ScheduledEvent {
  readonly source: AnyActorRef;
  readonly target: AnyActorRef;
  readonly event: { type: string };
  readonly delay: number;
  readonly id: string;
}

interface StoredTimer {
  readonly id: string;
  readonly event: { type: string };
  readonly due: number;
}

const NO_EVENTS: readonly ScheduledEvent[] = [];

/** XState's scheduler keeps the pending delayed events in the system snapshot. */
function scheduledEvents(actor: AnyActorRef | undefined): readonly ScheduledEvent[] {
  if (!actor) return NO_EVENTS;
  const system = actor.system as unknown as { getSnapshot(): { _scheduledEvents: Record<string, ScheduledEvent> } };
  return Object.values(system.getSnapshot()._scheduledEvents);
}

interface Emitted {
  readonly type: string;
  readonly key?: string;
  readonly id?: string;
  readonly at?: string;
}

const ENVELOPE_FIELDS = ['id', 'at', 'key'] as const;

/**
 * The JSON of `{ ...e, id, at, key }`: the event a machine emitted with the envelope's fields filled
 * in. A machine may emit the same object every time (`emit({ type })`), so `e` is not touched; the
 * fields it lacks are spliced onto its JSON, in the order the copy would add them, rather than
 * copying the object (which cost as much as serialising it again).
 */
function envelopeJson(e: Emitted, id: string, at: string, key: string): string {
  const values = { id, at, key };
  let tail = '';
  for (const field of ENVELOPE_FIELDS) {
    if (e[field] !== undefined) {
      if (!Object.hasOwn(e, field)) return JSON.stringify({ ...e, ...values });
    } else if (field in e) {
      // Present but undefined: the copy keeps its place in the key order.
      return JSON.stringify({ ...e, ...values });
    } else {
      tail += `,"${field}":${JSON.stringify(values[field])}`;
    }
  }
  const json = JSON.stringify(e);
  if (tail === '') return json;
  return json === '{}' ? `{${tail.slice(1)}}` : `${json.slice(0, -1)}${tail}}`;
}

/** The entity's current XState snapshot. */
function current(cell: Cell): AnyMachineSnapshot {
  return cell.actor ? (cell.actor.getSnapshot() as AnyMachineSnapshot) : cell.snapshot!;
}

export class ActorHost implements Stage {
  readonly name: string;
  readonly topics: readonly string[];
  readonly groupCommit = true;
  readonly changelog?: string;
  private readonly live = new Map<string, Cell>();
  private readonly touched = new Set<Cell>();
  private emitted: Emitted[] = [];
  private committer?: LocalCommitter;
  private wakeTimer?: TimerHandle;
  private evictedWithTimers = false;
  private readonly maxLive: number;
  /** Steps the machine without an actor per entity, until a transition shows it needs one. */
  private stepper?: MachineStepper;
  private readonly liveGauge?: (labels: Record<string, string>, v: number) => void;
  private readonly passivations?: (labels?: Record<string, string>, by?: number) => void;
  private readonly duplicates?: (labels?: Record<string, string>, by?: number) => void;

  constructor(private readonly options: ActorHostOptions) {
    this.name = options.name;
    this.topics = [...options.inputs.keys()];
    this.maxLive = options.maxLiveActors ?? 10_000;
    this.changelog = options.changelog;
    if (!options.liveActors && steppable(options.machine)) this.stepper = new MachineStepper(options.machine, options.inspect);
    if (options.metrics) {
      this.liveGauge = options.metrics.gauge('kastor_live_actors', 'Actors held in memory', ['stage']);
      this.passivations = options.metrics.counter('kastor_passivations_total', 'Actors evicted to the store', ['stage']);
      this.duplicates = options.metrics.counter('kastor_duplicates_total', 'Redelivered events dropped by id', ['stage']);
    }
  }

  get liveActors(): number {
    return this.live.size;
  }

  process(records: readonly BrokerRecord[], context: BatchContext): BatchWork {
    const outbox: OutboxRecord[] = [];
    // Snapshots of the actors this call changed; `touched` also holds those of earlier batches of
    // the same group commit, whose snapshots those batches returned.
    const changed = new Set<Cell>();
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
      changed.add(cell);
      this.deliver(cell, event, record);
      cell.seen.push(event.id);
      if (cell.seen.length > SEEN) cell.seen.shift();
      for (const e of this.emitted) outbox.push(this.toOutbox(e, event, record));
    }
    const snapshots: SnapshotWrite[] = [];
    for (const cell of changed) {
      const write = this.snapshotWrite(cell);
      snapshots.push(write);
      if (this.changelog) outbox.push(stateRecord(this.changelog, cell.partition, write));
    }
    return { snapshots, outbox, committed: () => this.committed() };
  }

  attach(committer: LocalCommitter): void {
    this.committer = committer;
  }

  assigned(): void {
    this.scheduleWake();
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
    if (this.wakeTimer !== undefined) this.options.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.committer = undefined;
    for (const cell of [...this.live.values()]) this.evict(cell);
  }

  /** Whether K's actor is held in memory now (else it is passivated, or was never made). */
  isLive(key: string): boolean {
    return this.live.has(key);
  }

  /** The current snapshot of K's actor, from memory or the store (for specs and tools). */
  snapshotOf(key: string): unknown {
    const cell = this.live.get(key);
    if (cell) return current(cell);
    const stored = this.options.store.loadSnapshot(key);
    if (!stored) return undefined;
    const { kastorTimers: _, ...snapshot } = JSON.parse(stored.snapshot);
    return snapshot;
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
    this.emitted.length = 0;
    if (cell.snapshot && this.stepper) {
      try {
        cell.snapshot = this.stepper.step(cell.snapshot, event, this.emitted);
        return;
      } catch (e) {
        if (!(e instanceof NeedsActor)) throw new RecordFailed(record, `actor ${this.name}/${cell.key} threw: ${(e as Error).message}`, e);
        // Nothing of the transition was applied: from now on this host's entities are actors.
        this.stepper = undefined;
        this.emitted.length = 0;
      }
    }
    const actor = this.actorOf(cell);
    try {
      actor.send(event);
    } catch (e) {
      throw new RecordFailed(record, `actor ${this.name}/${cell.key} threw: ${(e as Error).message}`, e);
    }
    const snapshot = actor.getSnapshot();
    if (snapshot.status === 'error') {
      const error = snapshot.error as Error | undefined;
      throw new RecordFailed(record, `actor ${this.name}/${cell.key} failed: ${error?.message ?? String(error)}`, error);
    }
  }

  private toOutbox(e: Emitted, cause: EventEnvelope, record: BrokerRecord): OutboxRecord {
    const out = this.envelope(e, cause.at, cause.key);
    if (!out) throw new RecordFailed(record, `actor ${this.name} emitted ${e.type}, which has no output topic`);
    return out;
  }

  private envelope(e: Emitted, at: string, key: string): OutboxRecord | undefined {
    const topic = this.options.outputs[e.type];
    if (!topic) return undefined;
    const id = e.id ?? this.options.ids.next();
    const outKey = e.key ?? key;
    return { topic: topic.name, key: outKey, value: envelopeJson(e, id, e.at ?? at, outKey), headers: NO_HEADERS };
  }

  private snapshotWrite(cell: Cell): SnapshotWrite {
    const now = current(cell);
    const pending = scheduledEvents(cell.actor);
    // A delayed event that fired without a transition leaves the snapshot as it was, not the timers.
    if (now !== cell.persistedOf || !cell.persisted || cell.persisted.timers !== pending.length) {
      cell.persisted = this.persist(cell, pending);
      cell.persistedOf = now;
    }
    const { json, due } = cell.persisted;
    // The timer row changes only when the actor gains, moves or loses its timers.
    const timer = due !== null || cell.timerStored ? { partition: cell.partition, due } : undefined;
    cell.timerStored = due !== null;
    return { key: cell.key, snapshot: json, seen: JSON.stringify(cell.seen), timer };
  }

  /** The actor's persisted snapshot with its pending timers, and the earliest one's due time. */
  private persist(cell: Cell, pending: readonly ScheduledEvent[]): { json: string; due: number | null; timers: number } {
    const persisted = cell.actor
      ? (cell.actor.getPersistedSnapshot() as Record<string, unknown>)
      : (this.options.machine.getPersistedSnapshot(cell.snapshot!) as Record<string, unknown>);
    let due: number | null = null;
    if (pending.length > 0) {
      const now = this.options.clock.now();
      const timers: StoredTimer[] = [];
      for (const e of pending) {
        if (e.source !== cell.actor || e.target !== cell.actor) continue;
        const t = { id: e.id, event: e.event, due: cell.dues?.get(e) ?? now + e.delay };
        timers.push(t);
        if (due === null || t.due < due) due = t.due;
      }
      // getPersistedSnapshot returns a fresh object: the timers ride along with it.
      persisted.kastorTimers = timers;
    }
    return { json: JSON.stringify(persisted), due, timers: pending.length };
  }

  /** A delayed transition fires: the actor moves, and what it emits commits like a batch. */
  private fire(cell: Cell, fn: () => void): void {
    if (this.live.get(cell.key) !== cell) return;
    this.emitted.length = 0;
    fn();
    if (current(cell).status === 'error') {
      // Back to the stored snapshot; its timer fires again when the actor is next woken.
      this.evict(cell);
      return;
    }
    const at = isoAt(this.options.clock);
    const outbox = this.emitted.map((e) => this.envelope(e, at, cell.key)).filter((o): o is OutboxRecord => o !== undefined);
    const write = this.snapshotWrite(cell);
    if (this.changelog) outbox.push(stateRecord(this.changelog, cell.partition, write));
    if (!this.committer) return;
    void this.committer.commitLocal({ snapshots: [write], outbox, committed: () => this.committed() });
  }

  /** Sets one clock timer for the earliest due timer of a passivated actor this host owns. */
  private scheduleWake(): void {
    const { clock, store } = this.options;
    if (this.wakeTimer !== undefined) clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const committer = this.committer;
    if (!committer) return;
    const next = store.dueTimers(1_000).find((t) => !this.live.has(t.key) && committer.owns(t.partition));
    if (!next) return;
    this.wakeTimer = clock.setTimeout(() => this.wake(), Math.max(0, next.due - clock.now()));
  }

  private wake(): void {
    this.wakeTimer = undefined;
    const committer = this.committer;
    if (!committer) return;
    const now = this.options.clock.now();
    for (const t of this.options.store.dueTimers(1_000)) {
      if (t.due > now) break;
      // Rehydrating re-arms the actor's timers with what is left: zero, so they fire now.
      if (!this.live.has(t.key) && committer.owns(t.partition)) this.cell(t.key, t.partition);
    }
    this.scheduleWake();
  }

  private cell(key: string, partition: number): Cell {
    const found = this.live.get(key);
    if (found) {
      found.used = true;
      return found;
    }
    const stored = this.options.store.loadSnapshot(key);
    const { kastorTimers = [], ...snapshot } = stored ? JSON.parse(stored.snapshot) : {};
    const timers = kastorTimers as StoredTimer[];
    const cell: Cell = { key, partition, seen: stored ? JSON.parse(stored.seen) : [], timerStored: timers.length > 0, used: false };
    if (this.stepper && timers.length === 0) {
      try {
        // What a new entity's entry actions emit is dropped, as deliver() drops what a new actor emits.
        cell.snapshot = stored ? this.stepper.restore(snapshot) : this.stepper.initial({ key }, []);
      } catch (e) {
        // The actor will fail the same way, as data (deliver() turns it into RecordFailed).
        if (e instanceof NeedsActor) this.stepper = undefined;
      }
    }
    if (!cell.snapshot) this.startActor(cell, stored ? snapshot : undefined, timers);
    this.live.set(key, cell);
    return cell;
  }

  /** The cell's actor; an entity stepped so far without one gets it now, in the same state. */
  private actorOf(cell: Cell): AnyActorRef {
    if (!cell.actor) {
      this.startActor(cell, this.options.machine.getPersistedSnapshot(cell.snapshot!), []);
      cell.snapshot = undefined;
    }
    return cell.actor!;
  }

  /** Starts the cell's actor from a persisted snapshot (none: a new entity) and re-arms its timers. */
  private startActor(cell: Cell, snapshot: Snapshot<unknown> | undefined, timers: readonly StoredTimer[]): void {
    const clock = this.options.clock;
    const dues = new WeakMap<object, number>();
    const actor = createActor(this.options.machine, {
      input: { key: cell.key },
      clock: {
        setTimeout: (fn: () => void, ms: number) => {
          // XState registers the scheduled event just before it asks for the timer.
          if (cell.actor) for (const e of scheduledEvents(cell.actor)) if (!dues.has(e)) dues.set(e, clock.now() + ms);
          return clock.setTimeout(() => (cell.actor ? this.fire(cell, fn) : fn()), ms);
        },
        clearTimeout: (handle: TimerHandle) => clock.clearTimeout(handle),
      },
      ...(snapshot ? { snapshot } : {}),
      ...(this.options.inspect ? { inspect: this.options.inspect } : {}),
    });
    cell.actor = actor;
    cell.dues = dues;
    actor.on('*', (e: Emitted) => this.emitted.push(e));
    // Failures are data (snapshot.status 'error'); without an observer XState would rethrow them.
    actor.subscribe({ error: () => undefined });
    actor.start();
    const scheduler = (actor.system as unknown as { scheduler: { schedule(s: AnyActorRef, t: AnyActorRef, e: unknown, d: number, id: string): void } }).scheduler;
    for (const t of timers) scheduler.schedule(actor, actor, t.event, Math.max(0, t.due - clock.now()), t.id);
  }

  private committed(): void {
    this.touched.clear();
    const excess = this.live.size - this.maxLive;
    if (excess > 0) {
      // The map is in insertion order, oldest first: a cell used since the sweep last passed it
      // goes to the back with its flag cleared (met again, it is evicted), the others go now.
      let evicted = 0;
      for (const cell of this.live.values()) {
        if (evicted >= excess) break;
        if (cell.used) {
          cell.used = false;
          this.live.delete(cell.key);
          this.live.set(cell.key, cell);
          continue;
        }
        this.evict(cell);
        evicted++;
      }
      this.passivations?.({ stage: this.name }, evicted);
    }
    this.liveGauge?.({ stage: this.name }, this.live.size);
    if (this.evictedWithTimers) {
      this.evictedWithTimers = false;
      this.scheduleWake();
    }
  }

  private evict(cell: Cell): void {
    if (scheduledEvents(cell.actor).length > 0) this.evictedWithTimers = true;
    cell.actor?.stop();
    this.live.delete(cell.key);
  }
}

/**
 * Runs one stage under the commit protocol of SPEC §1, per partition batch:
 *   1–2. the stage processes the batch (actors change, the outbox is collected) — in memory;
 *   3.   ONE store transaction: snapshots, outbox rows, consumed offsets (+ the stage's extras);
 *   4.   the outbox is produced and the confirmed rows deleted;
 *   5.   offsets are committed to the broker (advisory: the store's offsets are the truth).
 * On start: unsent outbox rows are re-sent, then each assigned partition is read from the offset
 * the store holds. Steps 1–3 run in one synchronous tick, so a crash anywhere changes each actor
 * exactly once per input record and delivers each output at least once under a stable id.
 *
 * Group commit: partitions are read concurrently, but their batches are committed one group at a
 * time. The batches that arrive while a group is being produced wait, and go together into the
 * next group: one transaction, one produce call, one outbox delete and one advisory commit for all
 * of them. So the fixed cost of a commit is paid once per round rather than once per partition —
 * which is what dominates at low rates, where every record is a batch of its own. A group that
 * fails is undone and its batches are retried one by one, where a failing record is found,
 * retried and dead-lettered. Stages that cannot share a transaction (`groupCommit` unset) are
 * committed batch by batch as before.
 */
import { type Subscription, concatMap, defer, from, mergeMap, finalize } from 'rxjs';
import type { Broker, GroupConsumer, Producer, RecordBatch } from '../broker/Broker.js';
import type { BrokerRecord, OutgoingRecord, TopicPartition, TopicPartitionOffset } from '../broker/Record.js';
import { tpKey } from '../broker/Record.js';
import { isFatalBrokerError } from '../broker/errors.js';
import type { Clock } from '../clock/Clock.js';
import type { Logger } from '../log/Logger.js';
import { silentLogger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { BatchCommit, OutboxRecord, SnapshotWrite, StageStore } from '../store/StateStore.js';
import { ChangelogBacking } from './ChangelogBacking.js';
import { type CommitStep, type FaultHook, SimulatedCrash } from './CommitStep.js';
import { deadLetterRecord } from './deadLetter.js';
import { type BatchWork, type LocalCommitter, RecordFailed, type Stage } from './Stage.js';
import { RunnerMetrics } from './RunnerMetrics.js';

export interface StageRunnerOptions {
  readonly stage: Stage;
  readonly broker: Broker;
  readonly store: StageStore;
  readonly producer: Producer;
  readonly clock: Clock;
  readonly deadLetterTopic: string;
  readonly maxBatchSize?: number;
  /** Attempts at a failing record before it is dead-lettered. */
  readonly maxAttempts?: number;
  readonly backoffMs?: (attempt: number) => number;
  readonly faults?: FaultHook;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Called once the runner cannot go on and has killed itself (its StageSupervisor restarts it). */
  readonly onFatal?: (error: Error) => void;
  /**
   * Runs a task later (default setImmediate; the simulation's deterministic scheduler there): a
   * group starts one turn after its first batch arrived, so that the batches every partition
   * delivers in the same turn go into it.
   */
  readonly schedule?: (task: () => void) => void;
  /** This instance's name: the group of a stage every instance reads whole (Stage.everyInstance). */
  readonly instance?: string;
}

const defaultSchedule = (task: () => void): void => void setImmediate(task);

const defaultBackoff = (attempt: number) => Math.min(5_000, 50 * 2 ** attempt);

/** A group takes whole batches from the queue until it holds at least this many records. */
const GROUP_RECORDS = 5_000;

/** A batch waiting for its group; `done` acks it once the group committed (or gave it up). */
interface Pending {
  readonly batch: RecordBatch;
  readonly cursor: { next: number };
  readonly done: () => void;
}

/** A batch of a group, with the records not yet applied. */
interface Member extends Pending {
  readonly records: readonly BrokerRecord[];
}

/** Step 3's writes for a batch or a group, and what the stage wants done once they are durable. */
type Commit = BatchCommit & Pick<BatchWork, 'extra' | 'committed'>;

export class StageRunner implements LocalCommitter {
  readonly stage: Stage;
  private readonly opts: StageRunnerOptions;
  private readonly log: Logger;
  private readonly metrics?: RunnerMetrics;
  private consumer?: GroupConsumer;
  private subscription?: Subscription;
  private state: 'new' | 'running' | 'stopping' | 'stopped' | 'crashed' = 'new';
  private readonly assigned = new Set<string>();
  private crashError?: Error;
  private assignedOnce = false;
  /** The consumer said what it holds at least once (an empty assignment included). */
  private assignmentKnown = false;
  /** Assigned partitions not yet handed to the stage: their state is being restored. */
  private readonly restoringKeys = new Set<string>();
  /**
   * A stage every instance reads whole (Stage.everyInstance): the partitions still being read up to
   * the end they had when assigned, with where the stage has read to. Until then this instance's
   * copy is behind the others': it restores, as a changelog does.
   */
  private readonly catchingUp = new Map<string, { readonly high: number; readonly cursor: { readonly next: number } }>();
  private resolveCrash!: (e: Error) => void;
  private readonly queue: Pending[] = [];
  /** A flush is scheduled or running: batches that arrive join its queue. */
  private flushing = false;
  /** The advisory commits, chained so that they reach the broker in order. */
  private advisory: Promise<void> = Promise.resolve();
  /** Set when a changelog backs the stage's state. */
  private readonly changelog?: ChangelogBacking;
  /** Resolves if the runner is killed by a simulated crash or a fatal fault. */
  readonly crashed: Promise<Error>;

  constructor(options: StageRunnerOptions) {
    this.opts = options;
    this.stage = options.stage;
    this.log = (options.logger ?? silentLogger).child({ stage: options.stage.name });
    this.metrics = options.metrics ? new RunnerMetrics(options.metrics, options.stage.name) : undefined;
    this.crashed = new Promise((resolve) => (this.resolveCrash = resolve));
    const changelog = options.stage.changelog;
    if (changelog) {
      this.changelog = new ChangelogBacking({
        changelog, topics: options.stage.topics, broker: options.broker, store: options.store, clock: options.clock, log: this.log,
        backoff: (attempt) => this.sleep(defaultBackoff(attempt + 2)),
        running: () => this.running,
      });
    }
  }

  get groupId(): string {
    const { instance } = this.opts;
    return this.stage.everyInstance && instance ? `kastor.${this.stage.name}.${instance}` : `kastor.${this.stage.name}`;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /**
   * Whether a first assignment arrived and no partition is being restored from the changelog
   * (every assigned partition is then read from its stored offset).
   */
  get restored(): boolean {
    // A consumer that reports whole assignments tells a member given nothing that it joined; with
    // one that does not, joining is only known from a first partition.
    const joined = this.consumer?.assignment ? this.assignmentKnown : this.assignedOnce;
    return joined && this.restoringKeys.size === 0 && !this.changelog?.restoring && this.caughtUp();
  }

  /** Assigned partitions (`topic/partition`) still being restored (or read up to their end, see catchingUp). */
  get restoring(): readonly string[] {
    this.caughtUp();
    return [...this.restoringKeys, ...this.catchingUp.keys()];
  }

  private caughtUp(): boolean {
    for (const [key, { high, cursor }] of this.catchingUp) if (cursor.next >= high) this.catchingUp.delete(key);
    return this.catchingUp.size === 0;
  }

  /** Reads the partition's end as it is now; the stage is caught up on it once it read that far. */
  private catchUp(partition: TopicPartition, key: string, cursor: { readonly next: number }): void {
    const entry = { high: Number.MAX_SAFE_INTEGER, cursor };
    this.catchingUp.set(key, entry);
    // A plain topic-partition: the assigned one carries functions a worker thread's port cannot copy.
    this.opts.broker.admin.watermarks({ topic: partition.topic, partition: partition.partition }).then(
      ({ high }) => {
        if (this.catchingUp.get(key) === entry) this.catchingUp.set(key, { high, cursor });
      },
      (error: unknown) => {
        // Not known: not waited for (the partition is read all the same).
        this.log.warn('could not read a partition\'s end; not waiting to catch up on it', { partition: key, error });
        if (this.catchingUp.get(key) === entry) this.catchingUp.delete(key);
      },
    );
  }

  /** Partitions currently assigned to this runner. */
  get assignments(): readonly string[] {
    return [...this.assigned];
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`stage ${this.stage.name} already started`);
    this.state = 'running';
    this.stage.attach?.(this);
    await this.resendOutbox();
    if (!this.running) return;
    const consumer = this.opts.broker.consumer({
      groupId: this.groupId,
      topics: this.stage.topics,
      maxBatchSize: this.opts.maxBatchSize ?? 500,
      autoOffsetReset: 'earliest',
    });
    this.consumer = consumer;
    const whole = consumer.assignment?.subscribe(() => (this.assignmentKnown = true));
    this.subscription = consumer.assignments
      .pipe(
        mergeMap((partition) => {
          const key = tpKey(partition);
          this.assigned.add(key);
          this.assignedOnce = true;
          this.restoringKeys.add(key);
          return from(this.changelog?.restore(partition.partition) ?? Promise.resolve()).pipe(
            concatMap(() => {
              this.restoringKeys.delete(key);
              this.stage.assigned?.(partition.topic, partition.partition);
              const stored = this.opts.store.offsets([partition]).get(key);
              // The store is the truth; with no stored offset the stage has no state for the
              // partition yet and must read it from its beginning.
              // Records below this were applied already: a redelivered batch must not count twice.
              const cursor = { next: stored ?? 0 };
              if (this.stage.everyInstance) this.catchUp(partition, key, cursor);
              return partition.batches({ offset: stored ?? 0 }).pipe(concatMap((batch) => defer(() => this.enqueue(batch, cursor))));
            }),
            finalize(() => {
              this.assigned.delete(key);
              this.restoringKeys.delete(key);
              this.catchingUp.delete(key);
              this.changelog?.forget(partition.partition);
              this.stage.revoked?.(partition.topic, partition.partition);
            }),
          );
        }),
      )
      .subscribe({ error: (e: unknown) => this.fatal(asError(e)) });
    if (whole) this.subscription.add(whole);
  }

  /** Drains: stops intake, lets the batches in flight commit, flushes the producer. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    await this.consumer?.close();
    this.subscription?.unsubscribe();
    await this.advisory;
    await this.opts.producer.flush().catch((e) => this.log.warn('flush failed on stop', { error: e }));
    this.stage.close?.();
    this.state = 'stopped';
  }

  /** Kills the runner as kill -9 would: no further write, no flush; in-memory state is gone. */
  async kill(reason: Error = new Error('killed')): Promise<void> {
    if (this.state === 'crashed' || this.state === 'stopped') return;
    this.state = 'crashed';
    this.crashError = reason;
    this.subscription?.unsubscribe();
    await this.consumer?.close().catch(() => undefined);
    // What the stage holds in memory goes with it, timers included: a dead process fires none, and
    // a simulation that crashes hundreds of times must not keep every dead runner's actors alive.
    this.stage.close?.();
    this.resolveCrash(reason);
  }

  /** Steps 3–4 for work no record caused (a timer firing): one transaction, then the outbox. */
  async commitLocal(work: BatchWork): Promise<void> {
    if (!this.running && this.state !== 'stopping') return;
    const outbox = [...(work.outbox ?? []), ...(this.changelog?.localMarkers(work.outbox ?? []) ?? [])];
    let seqs: number[];
    try {
      seqs = this.opts.store.commit({ snapshots: work.snapshots ?? [], outbox, offsets: this.changelogPositions() }, work.extra);
    } catch (e) {
      this.stage.abort?.();
      this.log.warn('local commit failed; the actors go back to their snapshots', { error: e });
      return;
    }
    work.committed?.();
    if (seqs.length === 0) return;
    this.metrics?.batch(0, seqs.length, 0);
    try {
      await this.send(outbox);
    } catch (e) {
      // The runner crashed or stopped while producing (nobody awaits a timer's commit): the rows
      // stay in the outbox, and the next start re-sends them.
      if (e instanceof SimulatedCrash) return;
      if (!isFatalBrokerError(e)) throw e;
      this.fatal(e);
      return;
    }
    this.opts.store.deleteOutbox(seqs);
  }

  owns(partition: number): boolean {
    for (const key of this.assigned) if (key.endsWith(`/${partition}`)) return true;
    return false;
  }

  /** Queues a batch for the next group; resolves once it is committed (or given up) and acked. */
  private enqueue(batch: RecordBatch, cursor: { next: number }): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ batch, cursor, done: resolve });
      if (this.flushing) return;
      this.flushing = true;
      (this.opts.schedule ?? defaultSchedule)(() => void this.flush());
    });
  }

  /** Commits the queue group after group, until no batch is waiting. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let n = 0;
        let take = 0;
        while (take < this.queue.length && n < GROUP_RECORDS) n += this.queue[take++].batch.records.length;
        await this.handle(this.queue.splice(0, take));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async handle(group: readonly Pending[]): Promise<void> {
    try {
      const members: Member[] = [];
      for (const p of group) {
        const all = p.batch.records;
        const records = all.length > 0 && all[0].offset >= p.cursor.next ? all : all.filter((r) => r.offset >= p.cursor.next);
        if (records.length > 0) members.push({ ...p, records });
      }
      if (members.length === 0 || (!this.running && this.state !== 'stopping')) return;
      if (members.length > 1 && this.stage.groupCommit && (await this.processGroup(members))) return;
      for (const m of members) {
        if (!this.running && this.state !== 'stopping') return;
        m.cursor.next = await this.processBatch(m.batch, m.records);
      }
    } catch (e) {
      if (e instanceof SimulatedCrash) await this.kill(e);
      else this.fatal(asError(e));
    } finally {
      for (const p of group) {
        p.batch.ack();
        p.done();
      }
    }
  }

  /**
   * The protocol on several partitions' batches at once. Returns false, with every in-memory change
   * undone, when a batch fails: the caller then runs the batches one by one.
   */
  private async processGroup(members: readonly Member[]): Promise<boolean> {
    const started = this.opts.clock.now();
    const snapshots = new Map<string, SnapshotWrite>();
    const outbox: OutboxRecord[] = [];
    const offsets: TopicPartitionOffset[] = [];
    const works: BatchWork[] = [];
    let commit: Commit;
    let seqs: number[];
    let records = 0;
    try {
      this.fault('received');
      const skip = new Set<number>();
      for (const m of members) {
        const deadLetters: OutboxRecord[] = [];
        const work = this.stage.process(m.records, { skip, deadLetter: (record, reason) => deadLetters.push(this.deadLetter(record, reason)) });
        // A later batch's snapshot of a key is the newer one.
        for (const s of work.snapshots ?? []) snapshots.set(s.key, s);
        for (const r of work.outbox ?? []) outbox.push(r);
        for (const r of deadLetters) outbox.push(r);
        const last = m.records[m.records.length - 1].offset + 1;
        offsets.push({ topic: m.batch.topic, partition: m.batch.partition, offset: work.offset ?? last });
        if (this.changelog) outbox.push(this.changelog.marker(offsets[offsets.length - 1]));
        works.push(work);
        this.metrics?.deadLettered(deadLetters.length);
        records += m.records.length;
      }
      this.fault('processed');
      commit = {
        snapshots: [...snapshots.values()], outbox, offsets,
        extra: (tx) => { for (const w of works) w.extra?.(tx); },
        committed: () => { for (const w of works) w.committed?.(); },
      };
      seqs = this.opts.store.commit(this.withPositions(commit), commit.extra); // step 3
    } catch (e) {
      if (e instanceof SimulatedCrash) throw e;
      // The batches are retried one by one, which finds, logs and dead-letters a failing record.
      this.stage.abort?.();
      return false;
    }
    await this.complete(commit, seqs, records, started);
    this.fault('offsets-committed');
    for (const m of members) m.cursor.next = m.records[m.records.length - 1].offset + 1;
    return true;
  }

  /**
   * Runs the protocol on a batch; returns the offset after the last record it processed (not the
   * one it stored, which a sink may keep behind its batch: that one only matters on restart).
   */
  private async processBatch(batch: RecordBatch, records: readonly BrokerRecord[]): Promise<number> {
    const started = this.opts.clock.now();
    const skip = new Set<number>();
    const reasons = new Map<number, string>();
    const attempts = new Map<number, number>();
    const next = records[records.length - 1].offset + 1;
    for (let attempt = 0; ; attempt++) {
      const deadLetters: OutboxRecord[] = [];
      let commit: Commit;
      let seqs: number[];
      try {
        this.fault('received');
        const work = this.stage.process(records, { skip, deadLetter: (record, reason) => deadLetters.push(this.deadLetter(record, reason)) });
        this.fault('processed');
        for (const r of records) if (skip.has(r.offset)) deadLetters.push(this.deadLetter(r, reasons.get(r.offset)!));
        const stored = { topic: batch.topic, partition: batch.partition, offset: work.offset ?? next };
        const outbox = [...(work.outbox ?? []), ...deadLetters];
        if (this.changelog) outbox.push(this.changelog.marker(stored));
        commit = { snapshots: work.snapshots ?? [], outbox, offsets: [stored], extra: work.extra, committed: work.committed };
        seqs = this.opts.store.commit(this.withPositions(commit), commit.extra); // step 3
        this.metrics?.deadLettered(deadLetters.length);
      } catch (e) {
        if (e instanceof SimulatedCrash) throw e;
        this.stage.abort?.();
        if (!(e instanceof RecordFailed)) {
          if (attempt + 1 >= (this.opts.maxAttempts ?? 3) * 2) throw e;
          this.log.warn('batch failed, retrying', { error: e, attempt });
          this.metrics?.restart();
          await this.sleep((this.opts.backoffMs ?? defaultBackoff)(attempt));
          continue;
        }
        const n = (attempts.get(e.record.offset) ?? 0) + 1;
        attempts.set(e.record.offset, n);
        this.metrics?.restart();
        if (n >= (this.opts.maxAttempts ?? 3)) {
          skip.add(e.record.offset);
          reasons.set(e.record.offset, e.reason);
          this.log.warn('record dead-lettered after retries', { offset: e.record.offset, reason: e.reason });
        } else {
          await this.sleep((this.opts.backoffMs ?? defaultBackoff)(n));
        }
        if (!this.running && this.state !== 'stopping') return next;
        continue;
      }
      await this.complete(commit, seqs, records.length, started);
      this.fault('offsets-committed');
      return next;
    }
  }

  /**
   * What follows a committed transaction, for a batch and a group alike: the stage may rely on its
   * in-memory state; step 4 produces the outbox and deletes the rows stored under `seqs`; step 5
   * commits the offsets to the broker. The caller runs step 5's fault point once this resolves: each
   * fault point keeps the event-loop turn it always had, which the simulation's digests depend on.
   */
  private async complete(commit: Commit, seqs: readonly number[], records: number, started: number): Promise<void> {
    commit.committed?.();
    this.fault('stored');
    this.metrics?.batch(records, seqs.length, this.opts.clock.now() - started);
    await this.produceAndClear(commit.outbox, seqs);
    // The broker's offsets are advisory (the store's are the truth), so a running stage does not
    // wait for the round trip: commits are chained, in order, and awaited when the stage stops.
    const consumer = this.consumer;
    if (!consumer) return;
    this.advisory = this.advisory
      .then(() => consumer.commit(commit.offsets))
      .catch((e) => {
        if (this.state === 'running' || this.state === 'stopping') this.log.warn('advisory commit failed', { error: e });
      });
    if (this.state === 'stopping') await this.advisory;
  }

  /** Steps 4a–4b: the outbox records, stored under `seqs`. */
  private async produceAndClear(outbox: readonly OutboxRecord[], seqs: readonly number[]): Promise<void> {
    if (seqs.length > 0) {
      await this.send(outbox);
      this.fault('produced');
      this.opts.store.deleteOutbox(seqs);
    } else {
      this.fault('produced');
    }
    this.fault('outbox-cleared');
  }

  /** Step 4: produce until confirmed. The rows stay in the outbox until then, so a broker outage
   * stalls the partition but loses nothing. */
  private async send(records: readonly OutgoingRecord[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const delivered = await this.opts.producer.send(records);
        this.changelog?.delivered(delivered);
        return;
      } catch (e) {
        if (this.state === 'crashed' || this.state === 'stopped') throw new SimulatedCrash('stored');
        // The producer cannot go on (librdkafka's fatal error): retrying would stall for ever.
        if (isFatalBrokerError(e)) throw e;
        this.log.warn('outbox produce failed, retrying', { error: e, attempt });
        await this.sleep(defaultBackoff(Math.min(attempt, 6)));
      }
    }
  }

  /** Where this stage's changelog partitions end after its own sends, stored with its next commit. */
  private changelogPositions(): TopicPartitionOffset[] {
    return this.changelog?.positions() ?? [];
  }

  private withPositions(commit: Commit): Commit {
    const positions = this.changelogPositions();
    return positions.length === 0 ? commit : { ...commit, offsets: [...commit.offsets, ...positions] };
  }

  private async resendOutbox(): Promise<void> {
    for (;;) {
      const rows = this.opts.store.pendingOutbox(1_000);
      if (rows.length === 0) return;
      this.log.info('re-sending outbox rows left by an earlier run', { rows: rows.length });
      await this.send(rows);
      this.opts.store.deleteOutbox(rows.map((r) => r.seq));
    }
  }

  private deadLetter(record: BrokerRecord, reason: string): OutboxRecord {
    return deadLetterRecord(this.opts.deadLetterTopic, this.stage.name, record, reason);
  }

  private fault(step: CommitStep): void {
    if (this.state === 'crashed') throw this.crashError instanceof SimulatedCrash ? this.crashError : new SimulatedCrash(step);
    try {
      this.opts.faults?.(step, this.stage.name);
    } catch (e) {
      // Dead on the spot: another partition's batch must not run (and commit this batch's
      // half-applied actors) in the moment before the rejection reaches handle().
      void this.kill(e as Error);
      throw e;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.opts.clock.setTimeout(resolve, ms));
  }

  private fatal(error: Error): void {
    if (this.state === 'crashed') return;
    this.log.error('stage failed', { error });
    void this.kill(error);
    this.opts.onFatal?.(error);
  }
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

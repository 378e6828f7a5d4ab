/**
 * Runs one stage under the commit protocol of SPEC §1, per partition batch:
 *   1–2. the stage processes the batch (actors change, the outbox is collected) — in memory;
 *   3.   ONE store transaction: snapshots, outbox rows, consumed offsets (+ the stage's extras);
 *   4.   the outbox is produced and the confirmed rows deleted;
 *   5.   offsets are committed to the broker (advisory: the store's offsets are the truth).
 * On start: unsent outbox rows are re-sent, then each assigned partition is read from the offset
 * the store holds. Steps 1–3 run in one synchronous tick, so a crash anywhere changes each actor
 * exactly once per input record and delivers each output at least once under a stable id.
 */
import { type Subscription, concatMap, defer, mergeMap, finalize } from 'rxjs';
import type { Broker, GroupConsumer, Producer, RecordBatch } from '../broker/Broker.js';
import type { BrokerRecord, OutgoingRecord } from '../broker/Record.js';
import { tpKey } from '../broker/Record.js';
import type { Clock } from '../clock/Clock.js';
import type { Logger } from '../log/Logger.js';
import { silentLogger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { OutboxRecord, OutboxRow, StageStore } from '../store/StateStore.js';
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
  /** Called when the runner cannot go on (the process should exit non-zero). */
  readonly onFatal?: (error: Error) => void;
}

const defaultBackoff = (attempt: number) => Math.min(5_000, 50 * 2 ** attempt);

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
  private resolveCrash!: (e: Error) => void;
  /** Resolves if the runner is killed by a simulated crash or a fatal fault. */
  readonly crashed: Promise<Error>;

  constructor(options: StageRunnerOptions) {
    this.opts = options;
    this.stage = options.stage;
    this.log = (options.logger ?? silentLogger).child({ stage: options.stage.name });
    this.metrics = options.metrics ? new RunnerMetrics(options.metrics, options.stage.name) : undefined;
    this.crashed = new Promise((resolve) => (this.resolveCrash = resolve));
  }

  get groupId(): string {
    return `kastor.${this.stage.name}`;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Whether a first assignment arrived (every partition is then read from its stored offset). */
  get restored(): boolean {
    return this.assignedOnce;
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
    this.subscription = consumer.assignments
      .pipe(
        mergeMap((partition) => {
          const key = tpKey(partition);
          this.assigned.add(key);
          this.assignedOnce = true;
          this.stage.assigned?.(partition.topic, partition.partition);
          const stored = this.opts.store.offsets([partition]).get(key);
          // The store is the truth; with no stored offset the stage has no state for the
          // partition yet and must read it from its beginning.
          // Records below this were applied already: a redelivered batch must not count twice.
          const cursor = { next: stored ?? 0 };
          return partition.batches({ offset: stored ?? 0 }).pipe(
            concatMap((batch) => defer(() => this.handle(batch, cursor))),
            finalize(() => {
              this.assigned.delete(key);
              this.stage.revoked?.(partition.topic, partition.partition);
            }),
          );
        }),
      )
      .subscribe({ error: (e: unknown) => this.fatal(asError(e)) });
  }

  /** Drains: stops intake, lets the batches in flight commit, flushes the producer. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    await this.consumer?.close();
    this.subscription?.unsubscribe();
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
    this.resolveCrash(reason);
  }

  /** Steps 3–4 for work no record caused (a timer firing): one transaction, then the outbox. */
  async commitLocal(work: BatchWork): Promise<void> {
    if (!this.running && this.state !== 'stopping') return;
    let rows: OutboxRow[];
    try {
      rows = this.opts.store.commit({ snapshots: work.snapshots ?? [], outbox: work.outbox ?? [], offsets: [] }, work.extra);
    } catch (e) {
      this.stage.abort?.();
      this.log.warn('local commit failed; the actors go back to their snapshots', { error: e });
      return;
    }
    work.committed?.();
    if (rows.length === 0) return;
    this.metrics?.batch(0, rows.length, 0);
    await this.send(rows);
    this.opts.store.deleteOutbox(rows.map((r) => r.seq));
  }

  owns(partition: number): boolean {
    for (const key of this.assigned) if (key.endsWith(`/${partition}`)) return true;
    return false;
  }

  private async handle(batch: RecordBatch, cursor: { next: number }): Promise<void> {
    try {
      const records = batch.records.filter((r) => r.offset >= cursor.next);
      if (records.length > 0 && (this.running || this.state === 'stopping')) {
        cursor.next = await this.processBatch(batch, records);
      }
    } catch (e) {
      if (e instanceof SimulatedCrash) await this.kill(e);
      else this.fatal(asError(e));
    } finally {
      batch.ack();
    }
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
    const last = records[records.length - 1];
    const nextOffset = { topic: batch.topic, partition: batch.partition, offset: last.offset + 1 };
    let rows: OutboxRow[];
    let committed: (() => void) | undefined;
    let stored = nextOffset;
    for (let attempt = 0; ; attempt++) {
      const deadLetters: OutboxRecord[] = [];
      const context = {
        skip,
        deadLetter: (record: BrokerRecord, reason: string) => {
          deadLetters.push(this.deadLetter(record, reason));
        },
      };
      try {
        this.fault('received');
        const work = this.stage.process(records, context);
        this.fault('processed');
        for (const r of records) if (skip.has(r.offset)) deadLetters.push(this.deadLetter(r, reasons.get(r.offset)!));
        stored = work.offset === undefined ? nextOffset : { ...nextOffset, offset: work.offset };
        rows = this.opts.store.commit(
          { snapshots: work.snapshots ?? [], outbox: [...(work.outbox ?? []), ...deadLetters], offsets: [stored] },
          work.extra,
        );
        committed = work.committed;
        this.metrics?.deadLettered(deadLetters.length);
        break;
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
        if (!this.running && this.state !== 'stopping') return nextOffset.offset;
      }
    }
    committed?.();
    this.fault('stored');
    this.metrics?.batch(records.length, rows.length, this.opts.clock.now() - started);
    if (rows.length > 0) {
      await this.send(rows);
      this.fault('produced');
      this.opts.store.deleteOutbox(rows.map((r) => r.seq));
    } else {
      this.fault('produced');
    }
    this.fault('outbox-cleared');
    await this.consumer?.commit([stored]).catch((e) => this.log.warn('advisory commit failed', { error: e }));
    this.fault('offsets-committed');
    return nextOffset.offset;
  }

  /** Step 4: produce until confirmed. The rows stay in the outbox until then, so a broker outage
   * stalls the partition but loses nothing. */
  private async send(rows: readonly OutboxRow[]): Promise<void> {
    const records: OutgoingRecord[] = rows.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers }));
    for (let attempt = 0; ; attempt++) {
      try {
        await this.opts.producer.send(records);
        return;
      } catch (e) {
        if (this.state === 'crashed' || this.state === 'stopped') throw new SimulatedCrash('stored');
        this.log.warn('outbox produce failed, retrying', { error: e, attempt });
        await this.sleep(defaultBackoff(Math.min(attempt, 6)));
      }
    }
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

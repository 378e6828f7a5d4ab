/**
 * A kastor Runtime hosting the bench app (workload.ts) on a given broker and a fresh SQLite file,
 * with the helpers every pipeline benchmark needs: produce records, wait until the post stage has
 * caught up, stop and clean up. BENCH_BATCH overrides the runtime's maxBatchSize (default 500), to
 * see how the figures move with it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker, Producer } from '../../src/broker/Broker.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { nanoidSource } from '../../src/ids/IdSource.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { caughtUp, now, storedOffsets, waitUntil } from './measure.js';
import { type BenchTopics, benchApp, benchTopics } from './workload.js';

export interface HarnessOptions {
  readonly broker: Broker;
  readonly tag: string;
  readonly maxLiveActors?: number;
  readonly retentionMs?: number;
  /** Reuse a state directory (a restart); default: a fresh one. */
  readonly dir?: string;
  /** Back the post actors with their changelog topic (RuntimeOptions.changelogs). */
  readonly changelogs?: boolean;
}

export class RuntimeHarness {
  readonly dir: string;
  readonly topics: BenchTopics;
  readonly stage: string;
  store!: SqliteStateStore;
  runtime!: Runtime;
  /** The runtime's metrics, fresh for every prepare(). */
  metrics!: Metrics;
  private producerClient?: Producer;
  private prepared = false;

  constructor(private readonly options: HarnessOptions) {
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kastor-bench-'));
    this.topics = benchTopics(options.tag, options.retentionMs);
    this.stage = `bench_${options.tag}.post`;
  }

  /** Opens the state file and creates the runtime and its topics, without starting it. */
  async prepare(): Promise<void> {
    this.store = new SqliteStateStore(join(this.dir, 'state.db'));
    this.metrics = new Metrics();
    this.runtime = new Runtime([benchApp(this.options.tag, this.topics, this.options.maxLiveActors)], {
      broker: this.options.broker,
      store: this.store,
      clock: new SystemClock(),
      ids: nanoidSource,
      maxLiveActors: this.options.maxLiveActors,
      metrics: this.metrics,
      maxBatchSize: Number(process.env.BENCH_BATCH ?? 500),
      changelogs: this.options.changelogs,
      onFatal: (e) => {
        console.error(`bench runtime failed: ${e.stack ?? e.message}`);
        process.exit(2);
      },
    });
    await this.runtime.ensureTopics();
    this.prepared = true;
  }

  /** Starts the runtime (prepared first unless it was). */
  async start(): Promise<void> {
    if (!this.prepared) await this.prepare();
    this.prepared = false;
    await this.runtime.start();
  }

  get producer(): Producer {
    this.producerClient ??= this.options.broker.producer({ profile: 'reliable', clientId: 'bench-load' });
    return this.producerClient;
  }

  /** Sends every batch, awaiting each; returns the milliseconds spent inside `send`. */
  async produce(batches: Iterable<Array<{ topic: string; key: string; value: string }>>): Promise<number> {
    let spent = 0;
    for (const batch of batches) {
      const t = now();
      await this.producer.send(batch);
      spent += now() - t;
    }
    return spent;
  }

  /**
   * Hands every batch to the producer before awaiting any: on the memory broker the records are all
   * in the log before a consumer runs (a backlog, as when a peer reads a filled topic).
   */
  async produceAll(batches: Iterable<Array<{ topic: string; key: string; value: string }>>): Promise<void> {
    const sends = [];
    for (const batch of batches) sends.push(this.producer.send(batch));
    await Promise.all(sends);
  }

  /** Records per batch the post stage committed, on average, since prepare(). */
  meanBatch(): number {
    const labels = { stage: this.stage };
    return this.metrics.value('kastor_events_in_total', labels) / Math.max(1, this.metrics.value('kastor_batch_duration_seconds', labels));
  }

  consumed(topic: string): number {
    return storedOffsets(this.store.db, this.stage, topic);
  }

  async caughtUp(topic: string, records: number, timeoutMs: number): Promise<void> {
    await waitUntil(() => caughtUp(this.store.db, this.stage, topic, records), `${this.stage} to consume ${records} records of ${topic}`, timeoutMs, 20);
  }

  async stop(): Promise<void> {
    await this.runtime.stop();
    this.store.close();
  }

  /** As kill -9 of the process: the runtime writes nothing more; the state file stays. */
  async kill(): Promise<void> {
    await this.runtime.kill();
    this.store.close();
  }

  async close(): Promise<void> {
    await this.producerClient?.close();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

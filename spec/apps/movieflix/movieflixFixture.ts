/**
 * A MovieFlix runtime as `kastor run movieflix` wires it (read model, analytics sink, popularity
 * job), on a broker and a SQLite file that specs can kill and start again, as a process restarted
 * by its supervisor. Time is a VirtualClock shared by every "process" of the fixture (reports are
 * stamped with it; the runtime runs on it too unless given another clock).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { SqliteAnalyticsSink } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteMovieflixReadModel } from '../../../adapters/sqlite/SqliteMovieflixReadModel.js';
import { SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { type MovieflixSettings, type MovieflixTopics, datasetOf, movieflixCatalog, movieflixSettings, movieflixTopics } from '../../../config/movieflix.js';
import { PopularityJob } from '../../../src/apps/movieflix/PopularityJob.js';
import { movieflixApp } from '../../../src/apps/movieflix/movieflixApp.js';
import type { Broker } from '../../../src/broker/Broker.js';
import type { BrokerRecord } from '../../../src/broker/Record.js';
import type { Clock } from '../../../src/clock/Clock.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import type { AppDefinition } from '../../../src/host/AppDefinition.js';
import { Runtime, type RuntimeOptions } from '../../../src/host/Runtime.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { settle } from '../../support/settle.js';
import { waitFor } from '../../support/waitFor.js';

export const T0 = Date.parse('2026-03-01T20:00:00.000Z');

export interface MovieflixProcess {
  readonly runtime: Runtime;
  readonly store: SqliteStateStore;
  readonly readModel: SqliteMovieflixReadModel;
  readonly popularity: PopularityJob;
  readonly app: AppDefinition;
}

export interface MovieflixFixtureOptions {
  readonly broker?: Broker;
  readonly topics?: MovieflixTopics;
  readonly settings?: Partial<MovieflixSettings>;
  /** The runtime's clock when it must not be the virtual one (Kafka: retries sleep on it). */
  readonly runtimeClock?: Clock;
}

export class MovieflixFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'kastor-movieflix-'));
  readonly broker: Broker;
  readonly clock = new VirtualClock(T0);
  readonly topics: MovieflixTopics;
  readonly settings: MovieflixSettings;
  private readonly runtimeClock: Clock;
  private readonly processes: MovieflixProcess[] = [];
  private readonly ids = seededIdSource(99);
  private seed = 1;

  constructor(options: MovieflixFixtureOptions = {}) {
    this.broker = options.broker ?? new MemoryBroker({ maintenanceIntervalMs: 0 });
    this.topics = options.topics ?? movieflixTopics;
    this.settings = { ...movieflixSettings, ...options.settings };
    this.runtimeClock = options.runtimeClock ?? this.clock;
  }

  /** Starts a "process": a fresh runtime over the same state file, broker and clock. */
  async start(options: Partial<RuntimeOptions> & { maxLiveActors?: number } = {}): Promise<MovieflixProcess> {
    const t = this.topics;
    const store = new SqliteStateStore(openDatabase(join(this.dir, 'state.db')));
    const readModel = new SqliteMovieflixReadModel(store.db, store.db, t);
    const sink = new SqliteAnalyticsSink({ name: `${datasetOf(t)}.analytics`, topics: [t.showPosition.name], db: store.db });
    const popularity = new PopularityJob({
      analytics: readModel, store: readModel, catalog: movieflixCatalog, clock: this.runtimeClock, topic: t.showPosition.name,
      intervalMs: this.settings.popularityIntervalMs, windowMs: this.settings.popularityWindowMs, completeRatio: this.settings.completeRatio,
    });
    const app = movieflixApp({
      readModel, popularity: () => popularity.current(), stages: [sink], settings: this.settings, topics: t,
      maxLiveActors: options.maxLiveActors,
    });
    const runtime = new Runtime([app], {
      broker: this.broker, store, clock: this.runtimeClock, ids: seededIdSource(this.seed++), backoffMs: () => 1, ...options,
    });
    await runtime.start();
    const p = { runtime, store, readModel, popularity, app };
    this.processes.push(p);
    return p;
  }

  /** A player's report, produced as the position service would (at: the clock's time by default). */
  async report(userId: string, showId: string, episodeId: string, positionSec: number, durationSec: number, atMs = this.clock.now()): Promise<void> {
    const event = {
      id: this.ids.next(), type: 'movieflix.position_recorded', key: userId, at: new Date(atMs).toISOString(),
      userId, showId, episodeId, positionSec, durationSec,
    };
    await this.produceRaw(this.topics.showPosition.name, userId, JSON.stringify(event));
  }

  async produceRaw(topic: string, key: string | null, value: string | null): Promise<void> {
    const producer = this.broker.producer();
    await producer.send([{ topic, key, value }]);
    await producer.close();
  }

  settle(p: MovieflixProcess, timeoutMs = 15_000): Promise<void> {
    return settle(p.runtime, this.broker, p.store, timeoutMs);
  }

  /** Records on a topic, over all its partitions (from the high watermarks). */
  async count(topic: string): Promise<number> {
    const d = await this.broker.admin.describeTopic(topic);
    let n = 0;
    for (let partition = 0; partition < (d?.partitions ?? 0); partition++) {
      n += (await this.broker.admin.watermarks({ topic, partition })).high;
    }
    return n;
  }

  /** Every record of a topic (read by a throwaway consumer group). */
  async readAll(topic: string): Promise<BrokerRecord[]> {
    const expected = await this.count(topic);
    const got: BrokerRecord[] = [];
    const consumer = this.broker.consumer({ groupId: `spec-reader-${this.ids.next()}`, topics: [topic], autoOffsetReset: 'earliest' });
    const sub = consumer.assignments.subscribe((ap) => {
      ap.batches({ offset: 0 }).subscribe((b) => {
        got.push(...b.records);
        b.ack();
      });
    });
    await waitFor(() => got.length >= expected, { timeoutMs: 30_000, message: `${expected} records of ${topic}` });
    sub.unsubscribe();
    await consumer.close();
    return got;
  }

  async cleanup(): Promise<void> {
    for (const p of this.processes) {
      await p.popularity.stop();
      await p.runtime.stop().catch(() => undefined);
      p.store.close();
    }
    await this.broker.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A GetTaxi process for integration specs, on any broker: the runtime (actors, read model, analytics
 * sink) and the HTTP routes on port 0, as `kastor run gettaxi` wires them, but on topics of a
 * dataset of the spec's choosing — so that a spec on a shared Kafka cluster has topics of its own —
 * and with the broker at hand, to read what went through the topics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteAnalyticsSink } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteGettaxiReadModel } from '../../../adapters/sqlite/SqliteGettaxiReadModel.js';
import { type SqliteDatabase, SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { type GettaxiTopics, gettaxiTopicsFor } from '../../../config/gettaxi.js';
import { gettaxiApp } from '../../../src/apps/gettaxi/gettaxiApp.js';
import { gettaxiRoutes } from '../../../src/apps/gettaxi/gettaxiRoutes.js';
import type { Broker, Producer } from '../../../src/broker/Broker.js';
import type { BrokerRecord } from '../../../src/broker/Record.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { type HttpApp, createHttpApp } from '../../../src/http/createHttpApp.js';
import type { Principal } from '../../../src/http/auth/index.js';
import { Tokens } from '../../support/auth.js';
import { namedBy } from '../../support/http.js';
import { silentLogger } from '../../../src/log/Logger.js';
import { Runtime } from '../../../src/host/Runtime.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { waitFor } from '../../support/waitFor.js';

let readers = 0;

export interface Reply {
  readonly status: number;
  readonly body: any;
}

export class GettaxiProcess {
  private constructor(
    readonly broker: Broker,
    readonly dataset: string,
    readonly topics: GettaxiTopics,
    readonly runtime: Runtime,
    readonly store: SqliteStateStore,
    private readonly readDb: SqliteDatabase,
    private readonly producer: Producer,
    private readonly http: HttpApp,
    private readonly dir: string,
    readonly base: string,
    private readonly tokens: Tokens,
  ) {}

  private readonly riders = new Map<string, Principal>();

  static async start(broker: Broker, dataset = 'gettaxi', seed = 1): Promise<GettaxiProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'kastor-gettaxi-'));
    const store = new SqliteStateStore(openDatabase(join(dir, 'state.db')));
    const readDb = openDatabase(join(dir, 'state.db'));
    const topics = gettaxiTopicsFor(dataset);
    const readModel = new SqliteGettaxiReadModel(store.db, readDb, topics);
    const analytics = new SqliteAnalyticsSink({ name: `${dataset}.analytics`, topics: [topics.userPosition.name, topics.taxiPosition.name], db: store.db });
    const clock = new SystemClock();
    const ids = seededIdSource(seed);
    const runtime = new Runtime([gettaxiApp({ readModel, stages: [analytics], topics })], {
      broker, store, clock, ids, backoffMs: () => 1,
    });
    await runtime.start();
    const producer = broker.producer({ clientId: 'gettaxi-spec-edge' });
    const tokens = await Tokens.spec();
    const http = gettaxiRoutes(createHttpApp({ log: silentLogger, auth: tokens.auth }), { producer, readModel, clock, ids: seededIdSource(seed + 1000), topics });
    const base = await http.listen({ port: 0, host: '127.0.0.1' });
    return new GettaxiProcess(broker, dataset, topics, runtime, store, readDb, producer, http, dir, base, tokens);
  }

  /** As whom the request names (spec/support/http.ts), or `as`. */
  async call(method: string, path: string, body?: unknown, as?: Principal): Promise<Reply> {
    const who = as ?? namedBy(path, body);
    const res = await fetch(this.base + path, {
      method,
      headers: { 'content-type': 'application/json', ...await this.tokens.header(who.sub, who.role) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Posts and expects a 202; a ride's rider is kept, to read the ride as. */
  async post(path: string, body: unknown): Promise<any> {
    const reply = await this.call('POST', path, body);
    if (reply.status !== 202) throw new Error(`POST ${path} → ${reply.status} ${JSON.stringify(reply.body)}`);
    if (path === '/gettaxi/rides') this.riders.set(reply.body.rideId, namedBy(path, body));
    return reply.body;
  }

  /** Waits until the ride's status satisfies `done` (read as its rider), and returns it. */
  async rideWhen(rideId: string, done: (ride: any) => boolean, timeoutMs = 10_000): Promise<any> {
    let last: Reply | undefined;
    await waitFor(async () => {
      last = await this.call('GET', `/gettaxi/rides/${rideId}`, undefined, this.riders.get(rideId));
      return last.status === 200 && done(last.body);
    }, { timeoutMs, message: () => `ride ${rideId} to settle; last seen ${JSON.stringify(last)}` });
    return last!.body;
  }

  snapshot(entity: string, key: string): any {
    return this.runtime.host(this.dataset, entity).snapshotOf(key);
  }

  /** Every record a topic holds, read from the start by a throwaway consumer group. */
  async read(topic: string, timeoutMs = 10_000): Promise<BrokerRecord[]> {
    const d = await this.broker.admin.describeTopic(topic);
    if (!d) throw new Error(`no topic ${topic}`);
    const highs = await Promise.all(Array.from({ length: d.partitions }, (_, partition) => this.broker.admin.watermarks({ topic, partition })));
    const want = highs.reduce((n, w) => n + (w.high - w.low), 0);
    const got: BrokerRecord[] = [];
    const groupId = `gettaxi-spec-reader.${this.dataset}.${topic}.${++readers}`;
    const consumer = this.broker.consumer({ groupId, topics: [topic], autoOffsetReset: 'earliest' });
    const subscription = consumer.assignments.subscribe((ap) => {
      ap.batches({ offset: highs[ap.partition].low }).subscribe((b) => {
        got.push(...b.records.filter((r) => r.offset < highs[ap.partition].high));
        b.ack();
      });
    });
    try {
      await waitFor(() => got.length >= want, { timeoutMs, message: () => `${want} records of ${topic}, got ${got.length}` });
    } finally {
      subscription.unsubscribe();
      await consumer.close();
    }
    return got;
  }

  /** Every event of a topic, decoded. */
  async events(topic: string): Promise<any[]> {
    return (await this.read(topic)).map((r) => JSON.parse(r.value!));
  }

  async stop(): Promise<void> {
    const closed = this.http.close();
    this.http.server.closeAllConnections();
    await closed;
    await this.runtime.stop();
    await this.producer.close();
    this.readDb.close();
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

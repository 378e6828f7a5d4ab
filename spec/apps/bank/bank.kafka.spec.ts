import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBroker } from '../../../adapters/kafka/index.js';
import { SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { bankTopicsFor } from '../../../config/bank.js';
import type { Producer } from '../../../src/broker/Broker.js';
import type { HostedApp } from '../../../src/apps/AppModule.js';
import { hostBank } from '../../../src/apps/bank/hostBank.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { DLQ_HEADERS } from '../../../src/host/deadLetter.js';
import { Runtime } from '../../../src/host/Runtime.js';
import { allTopics } from '../../../src/host/topology.js';
import { type HttpApp, createHttpApp } from '../../../src/http/createHttpApp.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { silentLogger } from '../../../src/log/Logger.js';
import { Metrics } from '../../../src/metrics/Metrics.js';
import { Tokens } from '../../support/auth.js';
import { jsonClient } from '../../support/http.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../../support/kafka.js';
import { waitForValue } from '../../support/waitFor.js';
import { insertRows, readAll } from './bankFixture.js';
import { SseReader } from './sse.js';

describeKafka('MyBank on the kafka transport: source database → CDC → account actor → alerts', function () {
  this.timeout(120_000);
  // Topics of their own on the shared broker: `etl.bank_spec_<hex>.bank_transactions`, ...
  const dataset = `bank_spec_${randomBytes(4).toString('hex')}`;
  const topics = bankTopicsFor(dataset);
  let dir: string;
  let broker: KafkaBroker;
  let store: SqliteStateStore;
  let readDb: ReturnType<typeof openDatabase>;
  let producer: Producer;
  let hosted: HostedApp;
  let runtime: Runtime;
  let http: HttpApp | undefined;
  let base: string;
  let tokens: Tokens;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-bank-kafka-'));
    broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'bank-spec', logger: recordingKafkaLogger() });
    store = new SqliteStateStore(join(dir, 'state.db'));
    readDb = openDatabase(join(dir, 'state.db'));
    producer = broker.producer({ profile: 'reliable', clientId: 'bank-spec-edge' });
    const clock = new SystemClock();
    const ids = seededIdSource(7);
    hosted = hostBank(
      {
        db: store.db, readDb, dataDir: dir, transport: 'kafka', broker, producer, clock, ids, logger: silentLogger, metrics: new Metrics(),
        env: { KASTOR_BANK_CDC_INTERVAL_MS: '100' },
      },
      { topics },
    );
    runtime = new Runtime([hosted.definition], { broker, store, clock, ids, backoffMs: () => 50 });
    await runtime.start();
    for (const service of hosted.background ?? []) await service.start();
    tokens = await Tokens.spec();
    http = createHttpApp({ log: silentLogger, auth: tokens.auth });
    hosted.routes(http);
    base = await http.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    const closed = http?.close();
    http?.server.closeAllConnections();
    await closed;
    for (const service of hosted?.background ?? []) await service.stop();
    await runtime?.stop();
    await producer?.close();
    if (hosted) await broker?.admin.deleteTopics(allTopics(hosted.definition).map((t) => t.name)).catch(() => undefined);
    await broker?.close();
    readDb?.close();
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const call = jsonClient(() => base, () => tokens);

  it('alerts in real time for a new source row above the threshold, streams it, and dead-letters a bad row', async () => {
    const set = await call('POST', '/bank/users/user_123/threshold', { amountCents: 100_000 });
    expect(set.status).to.equal(202);
    const setAt = Date.parse(set.body.at);
    await waitForValue(async () => ((await call('GET', '/bank/users/user_123/threshold')).status === 200 ? true : undefined), { timeoutMs: 60_000 });

    const controller = new AbortController();
    const res = await fetch(`${base}/bank/users/user_123/alerts/stream`, { signal: controller.signal, headers: await tokens.header('user_123') });
    const sse = new SseReader(res.body!);
    await sse.until(/retry: 3000\n/);

    const file = join(dir, 'bank-source.db');
    const iso = (ms: number) => new Date(ms).toISOString();
    insertRows(file, [
      ['user_123', 99_000, 'USD', 'Corner Cafe', iso(setAt + 1_000)],
      ['user_123', 250_000, 'USD', 'Fly Away Air', iso(setAt + 2_000)],
      ['user_123', null, 'USD', 'Broken Row', iso(setAt + 3_000)],
      ['user_456', 900_000, 'USD', 'Hotel Lumen', iso(setAt + 4_000)],
    ]);

    const items = await waitForValue(async () => {
      const r = await call('GET', '/bank/users/user_123/alerts');
      return r.body.items.length > 0 ? r.body.items as Array<Record<string, unknown>> : undefined;
    }, { timeoutMs: 60_000, message: 'an alert for user_123' });
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ alertId: 'alert-2', transactionId: '2', amountCents: 250_000, thresholdCents: 100_000, merchant: 'Fly Away Air' });
    await sse.until(/id: alert-2\nevent: alert\n/, 30_000);
    controller.abort();
    await sse.cancel();

    // user_456 never set a threshold: no alert for them.
    expect((await call('GET', '/bank/users/user_456/alerts')).body.items).to.deep.equal([]);
    const dead = await readAll(broker, `queuing.${dataset}.dead_letters`, 60_000);
    expect(dead.map((r) => r.headers[DLQ_HEADERS.reason])).to.deep.equal(['amount_cents: is required, got null']);
    expect(dead[0].headers[DLQ_HEADERS.offset]).to.equal('rowid 3');
    const transactions = await readAll(broker, topics.bankTransactions.name, 60_000);
    expect(transactions.map((r) => JSON.parse(r.value!).id).sort()).to.deep.equal(['txn-1', 'txn-2', 'txn-4']);
  });
});

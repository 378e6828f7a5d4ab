import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { SqlitePositionStore } from '../../../adapters/cdc/SqlitePositionStore.js';
import { openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { bankTopics } from '../../../config/bank.js';
import type { Producer } from '../../../src/broker/Broker.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { DLQ_HEADERS } from '../../../src/host/deadLetter.js';
import { Metrics } from '../../../src/metrics/Metrics.js';
import { DLQ, createBankTopics, eventsOf, insertRows, readAll, sqliteConnector, type SourceRow } from '../../apps/bank/bankFixture.js';
import { waitFor } from '../../support/waitFor.js';

const TOPIC = bankTopics.bankTransactions.name;
const row = (user: string, cents: number, second: number): SourceRow =>
  [user, cents, 'USD', 'Acme', new Date(Date.UTC(2026, 0, 1, 12, 0, second)).toISOString()];

describe('SQLite CDC source connector', function () {
  this.timeout(20_000);
  let dir: string;
  let file: string;
  let broker: MemoryBroker;
  let state: ReturnType<typeof openDatabase>;
  let positions: SqlitePositionStore;
  const clock = new VirtualClock('2026-01-01T12:00:00Z');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-cdc-'));
    file = join(dir, 'bank-source.db');
    broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    await createBankTopics(broker);
    state = openDatabase(join(dir, 'state.db'));
    positions = new SqlitePositionStore(state);
  });
  afterEach(async () => {
    await broker.close();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams new rows by id as bank.transaction_recorded keyed by user, and stores its position', async () => {
    insertRows(file, [row('alice', 100, 1), row('bob', 200, 2), row('alice', 300, 3)]);
    const c = sqliteConnector({ file, broker, positions, clock });
    expect(await c.poll()).to.equal(3);
    expect(await c.position()).to.equal('3');
    insertRows(file, [row('carol', 400, 4)]);
    expect(await c.poll()).to.equal(1);
    expect(await c.poll()).to.equal(0);
    const records = await readAll(broker, TOPIC);
    expect(records.map((r) => [r.key, JSON.parse(r.value!).id]).sort()).to.deep.equal([
      ['alice', 'txn-1'], ['alice', 'txn-3'], ['bob', 'txn-2'], ['carol', 'txn-4']]);
    // One user's transactions keep their order in their partition.
    expect(eventsOf(records.filter((r) => r.key === 'alice')).map((e) => e.transactionId)).to.deep.equal(['1', '3']);
    await c.stop();
  });

  it('a restart neither skips nor repeats a row', async () => {
    insertRows(file, Array.from({ length: 7 }, (_, i) => row(`user_${i % 3}`, 100 * i, i)));
    const first = sqliteConnector({ file, broker, positions, clock, batchSize: 5 });
    expect(await first.poll()).to.equal(5);
    await first.stop();
    insertRows(file, [row('user_9', 1, 30), row('user_9', 2, 31)]);
    const second = sqliteConnector({ file, broker, positions, clock, batchSize: 5 });
    expect(await second.poll()).to.equal(4);
    expect(await second.poll()).to.equal(0);
    await second.stop();
    const ids = eventsOf(await readAll(broker, TOPIC)).map((e) => e.id).sort();
    expect(ids).to.deep.equal(Array.from({ length: 9 }, (_, i) => `txn-${i + 1}`).sort());
  });

  it('a crash between producing and storing the position produces the batch again under the same ids', async () => {
    insertRows(file, [row('alice', 100, 1), row('bob', 200, 2)]);
    const crashing = sqliteConnector({ file, broker, positions, clock, afterProduce: () => { throw new Error('killed after produce'); } });
    let failure: unknown;
    await crashing.poll().catch((e) => (failure = e));
    expect((failure as Error).message).to.equal('killed after produce');
    expect(await crashing.position()).to.equal(undefined);
    await crashing.stop();

    const restarted = sqliteConnector({ file, broker, positions, clock });
    expect(await restarted.poll()).to.equal(2);
    expect(await restarted.position()).to.equal('2');
    await restarted.stop();
    const ids = eventsOf(await readAll(broker, TOPIC)).map((e) => e.id).sort();
    expect(ids).to.deep.equal(['txn-1', 'txn-1', 'txn-2', 'txn-2']);
  });

  it('dead-letters malformed rows with the reason and keeps going, never losing its position', async () => {
    // A legacy table with a loosely typed id, so that a non-numeric id can exist at all.
    const loose = 'CREATE TABLE IF NOT EXISTS transactions (id, user_id, amount_cents, currency, merchant, created_at)';
    const rows: SourceRow[] = [
      row('alice', 100, 1),
      ['alice', null, 'USD', 'Acme', '2026-01-01T12:00:02Z'],
      ['bob', 300, 'ZZZ', 'Acme', '2026-01-01T12:00:03Z'],
      ['bob', 400, 'USD', 'Acme', '2026-01-01T12:00:04Z'],
      row('carol', 500, 5),
    ];
    insertRows(file, rows, loose, [1, 2, 3, 'abc', 5]);
    const metrics = new Metrics();
    const c = sqliteConnector({ file, broker, positions, clock, metrics });
    expect(await c.poll()).to.equal(5);
    expect(await c.position()).to.equal('5');
    expect(eventsOf(await readAll(broker, TOPIC)).map((e) => e.id).sort()).to.deep.equal(['txn-1', 'txn-5']);
    const dead = await readAll(broker, DLQ);
    expect(dead.map((r) => r.headers[DLQ_HEADERS.reason]).sort()).to.deep.equal([
      'amount_cents: is required, got null', 'currency: unknown currency, got "ZZZ"', 'id: must be a positive integer, got "abc"']);
    const noAmount = dead.find((r) => r.headers[DLQ_HEADERS.reason].startsWith('amount_cents'))!;
    expect(noAmount.key).to.equal('alice');
    expect(noAmount.headers).to.include({
      [DLQ_HEADERS.topic]: 'sqlite:bank-source.db/transactions', [DLQ_HEADERS.offset]: 'rowid 2', [DLQ_HEADERS.stage]: 'bank.cdc.sqlite' });
    expect(JSON.parse(noAmount.value!)).to.deep.include({ kind: 'insert', ref: 'rowid 2' });
    expect(JSON.parse(noAmount.value!).row).to.include({ id: 2, user_id: 'alice', amount_cents: null });
    expect(metrics.value('kastor_dead_letters_total', { stage: 'bank.cdc.sqlite' })).to.equal(3);
    expect(metrics.value('kastor_cdc_changes_total')).to.equal(2);
    await c.stop();
  });

  it('keeps its position when the broker refuses the batch, and delivers once it is back', async () => {
    insertRows(file, [row('alice', 100, 1)]);
    const real = broker.producer();
    let down = true;
    const flaky: Producer = {
      send: (records) => (down ? Promise.reject(new Error('broker unreachable')) : real.send(records)),
      flush: () => real.flush(),
      close: () => real.close(),
    };
    const c = sqliteConnector({ file, broker, positions, clock, producer: flaky });
    await c.poll().then(() => expect.fail('the poll should fail'), (e: Error) => expect(e.message).to.equal('broker unreachable'));
    expect(await c.position()).to.equal(undefined);
    down = false;
    expect(await c.poll()).to.equal(1);
    expect(eventsOf(await readAll(broker, TOPIC)).map((e) => e.id)).to.deep.equal(['txn-1']);
    await c.stop();
  });

  it('polls on the injected clock: at once on start, then every interval', async () => {
    insertRows(file, [row('alice', 100, 1)]);
    let reads = 0;
    const c = sqliteConnector({ file, broker, positions, clock, intervalMs: 1_000, afterProduce: () => reads++ });
    await c.start();
    clock.advance(0);
    await waitFor(async () => (await c.position()) === '1');
    insertRows(file, [row('bob', 200, 2)]);
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await c.position()).to.equal('1');
    clock.advance(1);
    await waitFor(async () => (await c.position()) === '2');
    expect(reads).to.equal(2);
    await c.stop();
    expect(clock.pendingTimers).to.equal(0);
  });
});

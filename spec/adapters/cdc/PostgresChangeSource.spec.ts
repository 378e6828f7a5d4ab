import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { PostgresChangeSource, connectPostgres, lsnValue, type PgClient } from '../../../adapters/cdc/PostgresChangeSource.js';
import { bankTopics } from '../../../config/bank.js';
import { transactionChangeMapper } from '../../../src/apps/bank/transactionChanges.js';
import { PollingConnector, type PollingConnectorOptions } from '../../../src/cdc/PollingConnector.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { DLQ_HEADERS } from '../../../src/host/deadLetter.js';
import { DLQ, createBankTopics, eventsOf, readAll } from '../../apps/bank/bankFixture.js';
import { describePostgres, postgresUrl } from './postgres.js';

const TOPIC = bankTopics.bankTransactions.name;

describePostgres('PostgreSQL CDC source connector (logical replication, pgoutput)', function () {
  this.timeout(30_000);
  const suffix = randomBytes(4).toString('hex');
  const table = `spec_txn_${suffix}`;
  const publication = `spec_pub_${suffix}`;
  const slot = `spec_slot_${suffix}`;
  let sql: PgClient;
  let broker: MemoryBroker;
  const clock = new VirtualClock('2026-01-01T12:00:00Z');

  const connector = (extra: Partial<PollingConnectorOptions> = {}) => new PollingConnector({
    name: 'bank.cdc.postgres',
    source: new PostgresChangeSource({ url: postgresUrl(), slot, publication, table: `public.${table}` }),
    map: transactionChangeMapper(TOPIC),
    producer: broker.producer(),
    clock,
    deadLetterTopic: DLQ,
    ...extra,
  });
  const insert = (user: string | null, cents: number | null, currency = 'USD', second = 0) =>
    sql.query(`INSERT INTO ${table} (user_id, amount_cents, currency, merchant, created_at) VALUES ($1, $2, $3, 'Acme', $4) RETURNING id`,
      [user, cents, currency, new Date(Date.UTC(2026, 0, 1, 12, 0, second)).toISOString()]);
  const slotLsn = async () =>
    (await sql.query<{ lsn: string }>('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot])).rows[0]?.lsn;

  before(async () => {
    sql = await connectPostgres(postgresUrl());
    await sql.query(`CREATE TABLE ${table} (id BIGSERIAL PRIMARY KEY, user_id TEXT, amount_cents BIGINT, currency TEXT, merchant TEXT,
      created_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    await sql.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
    await sql.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
  });
  beforeEach(async () => {
    broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    await createBankTopics(broker);
  });
  afterEach(async () => {
    await broker.close();
    await sql.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    await sql.query(`TRUNCATE ${table}`);
  });
  after(async () => {
    if (!sql) return;
    await sql.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    await sql.query(`DROP PUBLICATION IF EXISTS ${publication}`);
    await sql.query(`DROP TABLE IF EXISTS ${table}`);
    await sql.end();
  });

  it('streams inserts, updates and deletes as recorded, updated and deleted events, keyed by user', async () => {
    const c = connector();
    expect(await c.poll()).to.equal(0); // creates the slot: changes from now on are captured
    const id = (await insert('alice', 1_000, 'USD', 1)).rows[0].id as string;
    await sql.query('BEGIN');
    await insert('bob', 2_000, 'EUR', 2);
    await sql.query(`UPDATE ${table} SET amount_cents = 5000 WHERE id = $1`, [id]);
    await sql.query('COMMIT');
    await sql.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    expect(await c.poll()).to.equal(4);
    const events = eventsOf(await readAll(broker, TOPIC));
    const alice = events.filter((e) => e.key === 'alice');
    expect(alice.map((e) => [e.type, e.transactionId, e.amountCents])).to.deep.equal([
      ['bank.transaction_recorded', id, 1_000], ['bank.transaction_updated', id, 5_000], ['bank.transaction_deleted', id, undefined]]);
    expect(alice.every((e) => e.at === '2026-01-01T12:00:01.000Z')).to.equal(true);
    expect(events.find((e) => e.key === 'bob')).to.include({ type: 'bank.transaction_recorded', currency: 'EUR', amountCents: 2_000 });
    // Ids name the change in the log: the commit LSN, the change's ordinal, the row.
    for (const e of events) expect(e.id).to.match(new RegExp(`^pg-[0-9A-F]+/[0-9A-F]+:\\d+-${e.transactionId}$`));
    expect(new Set(events.map((e) => e.id)).size).to.equal(4);
    await c.stop();
  });

  it('a restart neither skips nor repeats a change; the slot keeps the position', async () => {
    const first = connector({ batchSize: 2 });
    await first.poll();
    for (let i = 0; i < 5; i++) await insert(`user_${i}`, 100 * (i + 1), 'USD', i);
    // The limit counts decoded messages (begin, relation, change, commit) and ends on a commit.
    const firstRound = await first.poll();
    expect(firstRound).to.be.within(1, 4);
    const reached = await first.position();
    expect(reached).to.equal(await slotLsn());
    await first.stop();
    await insert('user_9', 900, 'USD', 9);
    const second = connector();
    let total = 0;
    for (let n = await second.poll(); n > 0; n = await second.poll()) total += n;
    expect(lsnValue((await second.position())!) > lsnValue(reached!)).to.equal(true);
    await second.stop();
    const users = eventsOf(await readAll(broker, TOPIC)).map((e) => e.userId).sort();
    expect(users).to.deep.equal(['user_0', 'user_1', 'user_2', 'user_3', 'user_4', 'user_9']);
    expect(firstRound + total).to.equal(6);
  });

  it('a crash before the slot is advanced produces the same changes again under the same ids', async () => {
    await connector().poll().then(() => undefined);
    await insert('alice', 100, 'USD', 1);
    await insert('bob', 200, 'USD', 2);
    const crashing = connector({ afterProduce: () => { throw new Error('killed after produce'); } });
    const before = await slotLsn();
    await crashing.poll().then(() => expect.fail('should crash'), (e: Error) => expect(e.message).to.equal('killed after produce'));
    await crashing.stop();
    expect(await slotLsn()).to.equal(before);
    const restarted = connector();
    expect(await restarted.poll()).to.equal(2);
    await restarted.stop();
    const ids = eventsOf(await readAll(broker, TOPIC)).map((e) => e.id).sort();
    expect(ids).to.have.length(4);
    expect([ids[0], ids[2]]).to.deep.equal([ids[1], ids[3]]);
  });

  it('dead-letters malformed rows with the reason and goes on past them', async () => {
    const c = connector();
    await c.poll();
    await insert('alice', null, 'USD', 1);
    await insert('alice', 100, 'XYZ', 2);
    await insert('alice', 300, 'USD', 3);
    expect(await c.poll()).to.equal(3);
    expect(await c.poll()).to.equal(0);
    expect(eventsOf(await readAll(broker, TOPIC)).map((e) => e.amountCents)).to.deep.equal([300]);
    const dead = await readAll(broker, DLQ);
    expect(dead.map((r) => r.headers[DLQ_HEADERS.reason])).to.deep.equal(['amount_cents: is required, got null', 'currency: unknown currency, got "XYZ"']);
    const url = new URL(postgresUrl());
    expect(dead[0].headers[DLQ_HEADERS.topic]).to.equal(`postgres:${url.host}${url.pathname}/public.${table}`);
    expect(dead[0].headers[DLQ_HEADERS.offset]).to.match(/^[0-9A-F]+\/[0-9A-F]+#1$/);
    await c.stop();
  });

  it('moves an idle slot past WAL that holds none of its changes, so the server can recycle it', async () => {
    const c = connector();
    await c.poll();
    const before = (await slotLsn())!;
    await sql.query(`CREATE TEMP TABLE unrelated (x int); INSERT INTO unrelated VALUES (1); DROP TABLE unrelated`);
    expect(await c.poll()).to.equal(0);
    expect(lsnValue((await slotLsn())!) > lsnValue(before)).to.equal(true);
    await c.stop();
  });
});

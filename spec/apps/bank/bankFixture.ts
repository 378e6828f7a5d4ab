/**
 * What MyBank's specs share: the bank topics on a broker, reading a whole topic back, writing rows
 * into a SQLite source database, and a connector on the SQLite source wired as the process wires it.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { SqliteBankReadModel } from '../../../adapters/sqlite/SqliteBankReadModel.js';
import { SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { SqlitePositionStore } from '../../../adapters/cdc/SqlitePositionStore.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { Runtime, type RuntimeOptions } from '../../../src/host/Runtime.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import type { Broker } from '../../../src/broker/Broker.js';
import type { BrokerRecord } from '../../../src/broker/Record.js';
import { type BankTopics, bankTopics } from '../../../config/bank.js';
import { bankApp } from '../../../src/apps/bank/bankApp.js';
import { CREATE_SOURCE_TABLE } from '../../../src/apps/bank/sourceTable.js';
import { transactionChangeMapper } from '../../../src/apps/bank/transactionChanges.js';
import { PollingConnector, type PollingConnectorOptions } from '../../../src/cdc/PollingConnector.js';
import type { Clock } from '../../../src/clock/Clock.js';
import { allTopics, deadLetterTopic } from '../../../src/host/topology.js';
import { topicSpec } from '../../../src/topics/TopicDeclaration.js';
import { SqliteChangeSource } from '../../../adapters/cdc/SqliteChangeSource.js';
import { GroupReader } from '../../support/GroupReader.js';
import { waitFor } from '../../support/waitFor.js';

export const DLQ = deadLetterTopic('bank').name;

export async function createBankTopics(broker: Broker, topics: BankTopics = bankTopics): Promise<void> {
  await broker.admin.createTopics(allTopics(bankApp({ topics })).map((t) => topicSpec(t, 'local')));
}

let readers = 0;

/** Every record of the topic now, in partition then offset order. */
export async function readAll(broker: Broker, topic: string, timeoutMs = 10_000): Promise<BrokerRecord[]> {
  const description = await broker.admin.describeTopic(topic);
  if (!description) throw new Error(`no topic ${topic}`);
  let total = 0;
  for (let partition = 0; partition < description.partitions; partition++) {
    const { low, high } = await broker.admin.watermarks({ topic, partition });
    total += high - low;
  }
  const reader = new GroupReader(broker.consumer({ groupId: `bank-spec-reader-${++readers}-${process.pid}`, topics: [topic] }), {
    start: () => ({ offset: 0 }),
    commit: false,
  });
  try {
    await waitFor(() => reader.records.length >= total, { timeoutMs, message: () => `${total} records of ${topic}, got ${reader.records.length}` });
  } finally {
    await reader.close();
  }
  return [...reader.records].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

export const eventsOf = (records: readonly BrokerRecord[]) => records.map((r) => JSON.parse(r.value!) as Record<string, unknown> & { id: string });

export type SourceRow = [userId: unknown, amountCents: unknown, currency: unknown, merchant: unknown, createdAt: unknown];

/** Inserts rows into the source table (created as the default source creates it unless `ddl`). */
export function insertRows(file: string, rows: readonly SourceRow[], ddl = CREATE_SOURCE_TABLE, ids?: readonly unknown[]): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(ddl);
    const insert = db.prepare('INSERT INTO transactions (id, user_id, amount_cents, currency, merchant, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const tx = db.transaction(() => rows.forEach((r, i) => insert.run(ids ? ids[i] : null, ...r)));
    tx();
  } finally {
    db.close();
  }
}

export function sqliteConnector(options: {
  file: string;
  broker: Broker;
  positions: SqlitePositionStore;
  clock: Clock;
  topics?: BankTopics;
} & Partial<PollingConnectorOptions>): PollingConnector {
  const { file, broker, positions, topics = bankTopics, ...rest } = options;
  return new PollingConnector({
    name: 'bank.cdc.sqlite',
    source: new SqliteChangeSource({ file, table: 'transactions', positions, connector: 'bank.cdc.sqlite', createTable: CREATE_SOURCE_TABLE }),
    map: transactionChangeMapper(topics.bankTransactions.name),
    producer: broker.producer(),
    deadLetterTopic: DLQ,
    ...rest,
  });
}

/**
 * A MyBank runtime on a memory broker and a SQLite file that a spec can kill and start again on
 * the same broker and files, as a process restarted by its supervisor.
 */
export class BankFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'kastor-bank-'));
  readonly sourceFile = join(this.dir, 'bank-source.db');
  readonly broker: Broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
  private seed = 1;

  async start(options: Partial<RuntimeOptions> = {}): Promise<BankProcess> {
    const store = new SqliteStateStore(openDatabase(join(this.dir, 'state.db')));
    const readModel = new SqliteBankReadModel(store.db);
    const runtime = new Runtime([bankApp({ readModel })], {
      broker: this.broker, store, clock: new SystemClock(), ids: seededIdSource(this.seed++), backoffMs: () => 1, ...options,
    });
    await runtime.start();
    const connector = (extra: Partial<PollingConnectorOptions> = {}) =>
      sqliteConnector({ file: this.sourceFile, broker: this.broker, positions: new SqlitePositionStore(store.db), clock: new SystemClock(), ...extra });
    return { runtime, store, readModel, connector };
  }

  async produce(topic: string, key: string, event: Record<string, unknown>): Promise<void> {
    const producer = this.broker.producer();
    await producer.send([{ topic, key, value: JSON.stringify(event) }]);
    await producer.close();
  }

  async cleanup(...processes: BankProcess[]): Promise<void> {
    for (const p of processes) {
      await p.runtime.stop().catch(() => undefined);
      p.store.close();
    }
    await this.broker.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface BankProcess {
  readonly runtime: Runtime;
  readonly store: SqliteStateStore;
  readonly readModel: SqliteBankReadModel;
  connector(extra?: Partial<PollingConnectorOptions>): PollingConnector;
}

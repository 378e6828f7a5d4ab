/**
 * MyBank wired: the read model in the state database, and the CDC source connector as a background
 * service of the process — the SQLite source `<data>/bank-source.db` by default, PostgreSQL logical
 * replication with KASTOR_BANK_CDC=postgres:
 *   KASTOR_BANK_CDC               sqlite (default) | postgres
 *   KASTOR_BANK_SQLITE_FILE       source database (default <data>/bank-source.db)
 *   KASTOR_BANK_PG_URL            default postgres://postgres@127.0.0.1:5432/kastor_bank
 *   KASTOR_BANK_PG_SLOT           replication slot (default kastor_bank; created on first start)
 *   KASTOR_BANK_PG_PUBLICATION    default kastor_bank (scripts/postgres-cdc-setup.sh creates it)
 *   KASTOR_BANK_PG_TABLE          default public.transactions
 *   KASTOR_BANK_CDC_INTERVAL_MS   pause between polls of an idle source (default 250)
 */
import { join } from 'node:path';
import { type BankTopics, bankTopics } from '../../../config/bank.js';
import { PollingConnector } from '../../cdc/PollingConnector.js';
import type { ChangeSource } from '../../cdc/SourceConnector.js';
import { deadLetterTopic } from '../../host/topology.js';
import { PostgresChangeSource } from '../../../adapters/cdc/PostgresChangeSource.js';
import { SqliteChangeSource } from '../../../adapters/cdc/SqliteChangeSource.js';
import { SqlitePositionStore } from '../../../adapters/cdc/SqlitePositionStore.js';
import { SqliteBankReadModel } from '../../../adapters/sqlite/SqliteBankReadModel.js';
import type { AppContext, HostedApp } from '../AppModule.js';
import { bankApp } from './bankApp.js';
import { bankRoutes } from './bankRoutes.js';
import { CREATE_SOURCE_TABLE, SOURCE_FILE, SOURCE_TABLE } from './sourceTable.js';
import { transactionChangeMapper } from './transactionChanges.js';

export interface BankWiring {
  /** Default: the `bank` dataset (specs on a shared Kafka use their own). */
  readonly topics?: BankTopics;
  readonly heartbeatMs?: number;
}

export function hostBank(ctx: AppContext, wiring: BankWiring = {}): HostedApp {
  const topics = wiring.topics ?? bankTopics;
  const readModel = new SqliteBankReadModel(ctx.db, ctx.readDb, topics);
  const definition = bankApp({ readModel, topics });
  const connector = bankConnector(ctx, topics, definition.name, ctx.env);
  return {
    definition,
    routes: (app) => bankRoutes(app, {
      producer: ctx.producer, readModel, clock: ctx.clock, ids: ctx.ids, topics, heartbeatMs: wiring.heartbeatMs,
    }),
    background: [connector],
    readModel,
  };
}

export function bankConnector(
  ctx: Pick<AppContext, 'db' | 'dataDir' | 'producer' | 'clock' | 'logger' | 'metrics'>,
  topics: BankTopics,
  app: string,
  env: Readonly<Record<string, string | undefined>>,
): PollingConnector {
  const cdc = env.KASTOR_BANK_CDC ?? 'sqlite';
  let source: ChangeSource;
  if (cdc === 'sqlite') {
    source = new SqliteChangeSource({
      file: env.KASTOR_BANK_SQLITE_FILE ?? join(ctx.dataDir, SOURCE_FILE),
      table: SOURCE_TABLE,
      positions: new SqlitePositionStore(ctx.db),
      connector: `${app}.cdc.sqlite`,
      createTable: CREATE_SOURCE_TABLE,
    });
  } else if (cdc === 'postgres') {
    source = new PostgresChangeSource({
      url: env.KASTOR_BANK_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/kastor_bank',
      slot: env.KASTOR_BANK_PG_SLOT ?? 'kastor_bank',
      publication: env.KASTOR_BANK_PG_PUBLICATION ?? 'kastor_bank',
      table: env.KASTOR_BANK_PG_TABLE ?? `public.${SOURCE_TABLE}`,
    });
  } else {
    throw new Error(`KASTOR_BANK_CDC must be sqlite or postgres, not '${cdc}'`);
  }
  const interval = env.KASTOR_BANK_CDC_INTERVAL_MS === undefined ? undefined : Number(env.KASTOR_BANK_CDC_INTERVAL_MS);
  if (interval !== undefined && !(Number.isInteger(interval) && interval > 0)) {
    throw new Error(`KASTOR_BANK_CDC_INTERVAL_MS must be a positive integer, not '${env.KASTOR_BANK_CDC_INTERVAL_MS}'`);
  }
  return new PollingConnector({
    name: `${app}.cdc.${cdc}`,
    source,
    map: transactionChangeMapper(topics.bankTransactions.name),
    producer: ctx.producer,
    clock: ctx.clock,
    deadLetterTopic: deadLetterTopic(app).name,
    intervalMs: interval,
    logger: ctx.logger,
    metrics: ctx.metrics,
  });
}

/**
 * MyBank's topics (SPEC §2, §3). Transactions come from the source database through CDC (`etl`)
 * and are kept long; threshold changes are what users did (`tracking`), kept as long, since they
 * are the only record of the settings; alerts are pushed to users (`push`).
 *
 * `bank_transactions` and `user_settings` are both keyed by user_id and read by the same account
 * actor: they must keep the same partition count (co-partitioned), so that one user's records of
 * both topics land on the same partition number and the group gives them to the same member.
 */
import { alertsSchema, settingsSchema, transactionsSchema } from '../actors/bank/events.js';
import { DAY, FOREVER, type TopicDeclaration, declareTopic } from '../src/topics/TopicDeclaration.js';

export const BANK_INPUT_PARTITIONS = 12;

/** The topics of one MyBank dataset; specs against a shared Kafka use their own dataset name. */
export function bankTopicsFor(dataset: string) {
  return {
    bankTransactions: declareTopic('etl', dataset, 'bank_transactions', {
      partitions: BANK_INPUT_PARTITIONS, key: 'user_id', retentionMs: FOREVER, schema: transactionsSchema,
      description: 'transactions recorded, updated and deleted in the source database (CDC)',
    }),
    userSettings: declareTopic('tracking', dataset, 'user_settings', {
      partitions: BANK_INPUT_PARTITIONS, key: 'user_id', retentionMs: FOREVER, schema: settingsSchema,
      description: 'bank.threshold_set and bank.threshold_cleared, as users did them',
    }),
    userAlerts: declareTopic('push', dataset, 'user_alerts', {
      partitions: 6, key: 'user_id', retentionMs: 30 * DAY, schema: alertsSchema,
      description: 'a transaction above the threshold in effect at its time',
    }),
  } satisfies Record<string, TopicDeclaration<unknown>>;
}

export type BankTopics = ReturnType<typeof bankTopicsFor>;

export const bankTopics: BankTopics = bankTopicsFor('bank');

/**
 * MyBank as the runtime runs it: the account actor reading both inputs, the read model. The CDC
 * source connector is not a stage (it reads a database, not topics): the process runs it as a
 * background service (src/apps/bank/hostBank.ts).
 */
import { accountMachine } from '../../../actors/bank/accountMachine.js';
import { type BankTopics, bankTopics } from '../../../config/bank.js';
import type { AppDefinition } from '../../host/AppDefinition.js';
import type { BankReadModel } from './BankReadModel.js';

export interface BankAppOptions {
  readonly readModel?: BankReadModel;
  /** Default: the `bank` dataset's topics. */
  readonly topics?: BankTopics;
}

export function bankApp(options: BankAppOptions = {}): AppDefinition {
  const t = options.topics ?? bankTopics;
  return {
    // The dataset part of the topic names: also names the stages and the dead-letter topic.
    name: t.userAlerts.name.split('.')[1],
    topics: Object.values(t),
    entities: [
      {
        name: 'account',
        machine: accountMachine,
        // Both keyed by user_id and co-partitioned (config/bank.ts): no repartition needed.
        inputs: [{ topic: t.bankTransactions }, { topic: t.userSettings }],
        outputs: { 'bank.alert_raised': t.userAlerts },
      },
    ],
    projections: options.readModel ? [options.readModel.projection] : [],
  };
}

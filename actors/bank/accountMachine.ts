/**
 * The account actor (key user_id): reads `bank_transactions` and `user_settings` and raises
 * `bank.alert_raised` to `user_alerts` when a transaction is above the threshold in effect at the
 * transaction's time. The semantics — event time, late settings changes, at most one alert per
 * transaction — live in accountState.ts; this machine only holds the state and emits.
 *
 * An alert's id is derived from its transaction (`alert-<transactionId>`): a redelivered alert is
 * the same event, so the read model and any consumer drop it by id.
 */
import { enqueueActions, setup } from 'xstate';
import { type AccountState, type Judgement, applyAccountEvent, emptyAccount } from './accountState.js';
import type { AccountEvent, AlertRaised } from './events.js';

export interface AccountContext extends AccountState {
  readonly userId: string;
}

type Emitted = Omit<AlertRaised, 'currency'> & { currency: string };

export const accountMachine = setup({
  types: {
    context: {} as AccountContext,
    events: {} as AccountEvent,
    input: {} as { key: string },
    emitted: {} as Emitted,
  },
  actions: {
    apply: enqueueActions(({ context, event, enqueue }) => {
      const { state, alerts } = applyAccountEvent(context, event);
      enqueue.assign({ ...state, userId: context.userId });
      for (const judged of alerts) enqueue.emit(alertOf(context.userId, judged));
    }),
  },
}).createMachine({
  id: 'account',
  context: ({ input }) => ({ userId: input.key, ...emptyAccount }),
  on: {
    'bank.transaction_recorded': { actions: 'apply' },
    'bank.transaction_updated': { actions: 'apply' },
    'bank.transaction_deleted': { actions: 'apply' },
    'bank.threshold_set': { actions: 'apply' },
    'bank.threshold_cleared': { actions: 'apply' },
  },
});

export function alertId(transactionId: string): string {
  return `alert-${transactionId}`;
}

function alertOf(userId: string, { transaction: t, threshold, cause }: Judgement): Emitted {
  return {
    type: 'bank.alert_raised',
    id: alertId(t.transactionId),
    key: userId,
    at: new Date(t.at).toISOString(),
    userId,
    transactionId: t.transactionId,
    amountCents: t.amountCents,
    currency: t.currency,
    merchant: t.merchant,
    thresholdCents: threshold.amountCents,
    thresholdSetAt: new Date(threshold.at).toISOString(),
    cause,
  };
}

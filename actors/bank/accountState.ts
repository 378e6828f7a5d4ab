/**
 * What the account actor knows, and how each event changes it — pure functions, so that the
 * semantics are specified without a machine around them.
 *
 * Judging by event time: the threshold that decides for a transaction is the latest threshold
 * change whose `at` is at or before the transaction's `at` (a change at the same instant counts).
 * A change set after the transaction, by event time, never alerts for it; lowering the threshold
 * never alerts for transactions already past.
 *
 * Out of order across the two topics (they are separate partitions, consumed independently — on a
 * catch-up one may run far ahead of the other): the actor keeps the threshold history and the
 * transactions of the last LATENESS_MS of event time. A settings change that arrives late re-judges
 * the remembered transactions it applies to and alerts for those that now exceed, with cause
 * `late_threshold`. An alert once raised is never raised again nor retracted: each transaction
 * alerts at most once, also when a late change would have raised the threshold (the alert went out
 * in real time, against what was known). Events older than the horizon — the edge of what is
 * remembered — are counted as `late` and not judged: they could be duplicates of forgotten ones.
 */
import type { AccountEvent, TransactionRecorded, TransactionUpdated } from './events.js';

export const LATENESS_MS = 24 * 3_600_000;
/** Bounds on a snapshot's size: transactions and threshold changes remembered per account. */
export const MAX_REMEMBERED = 256;
export const MAX_CHANGES = 64;

export interface ThresholdChange {
  readonly id: string;
  readonly at: number;
  /** null: the user cleared their threshold. */
  readonly amountCents: number | null;
  readonly currency: string;
}

export interface Remembered {
  readonly transactionId: string;
  readonly at: number;
  readonly amountCents: number;
  readonly currency: string;
  readonly merchant: string | null;
  readonly alerted: boolean;
  readonly deleted: boolean;
}

export interface AccountState {
  /** Sorted by event time; at equal times, in arrival order (the later one wins). */
  readonly changes: readonly ThresholdChange[];
  /** Sorted by event time. */
  readonly remembered: readonly Remembered[];
  /** Event time (ms) at or before which nothing is judged any more. */
  readonly horizon: number | null;
  /** Latest event time seen on either topic. */
  readonly watermark: number | null;
  /** Events that arrived behind the horizon. */
  readonly late: number;
}

export type AlertCause = 'transaction' | 'update' | 'late_threshold';

export interface Judgement {
  readonly transaction: Remembered;
  readonly threshold: ThresholdChange & { readonly amountCents: number };
  readonly cause: AlertCause;
}

export const emptyAccount: AccountState = { changes: [], remembered: [], horizon: null, watermark: null, late: 0 };

/** Applies one event; returns the next state and the alerts to raise. */
export function applyAccountEvent(state: AccountState, event: AccountEvent): { state: AccountState; alerts: Judgement[] } {
  const at = Date.parse(event.at);
  if (state.horizon !== null && at <= state.horizon) return { state: { ...state, late: state.late + 1 }, alerts: [] };
  const seen = { ...state, watermark: Math.max(state.watermark ?? at, at) };
  switch (event.type) {
    case 'bank.transaction_recorded':
    case 'bank.transaction_updated':
      return settle(upsertTransaction(seen, event, at));
    case 'bank.transaction_deleted':
      return settle({
        state: { ...seen, remembered: seen.remembered.map((t) => (t.transactionId === event.transactionId ? { ...t, deleted: true } : t)) },
        alerts: [],
      });
    case 'bank.threshold_set':
    case 'bank.threshold_cleared':
      return settle(changeThreshold(seen, {
        id: event.id,
        at,
        amountCents: event.type === 'bank.threshold_set' ? event.amountCents : null,
        currency: event.type === 'bank.threshold_set' ? event.currency : '',
      }));
  }
}

/** The threshold change in effect at `at`, if it sets one. */
export function thresholdAt(changes: readonly ThresholdChange[], at: number): Judgement['threshold'] | undefined {
  let found: ThresholdChange | undefined;
  for (const c of changes) {
    if (c.at > at) break;
    found = c;
  }
  return found && found.amountCents !== null ? (found as Judgement['threshold']) : undefined;
}

function judge(t: Remembered, changes: readonly ThresholdChange[], cause: AlertCause): Judgement | undefined {
  if (t.alerted || t.deleted) return undefined;
  const threshold = thresholdAt(changes, t.at);
  if (!threshold || threshold.currency !== t.currency || t.amountCents <= threshold.amountCents) return undefined;
  return { transaction: { ...t, alerted: true }, threshold, cause };
}

function upsertTransaction(state: AccountState, e: TransactionRecorded | TransactionUpdated, at: number) {
  const known = state.remembered.find((t) => t.transactionId === e.transactionId);
  // A recorded event for a known transaction is a redelivery (a connector re-produced its batch).
  if (known && (e.type === 'bank.transaction_recorded' || known.deleted)) return { state, alerts: [] };
  const t: Remembered = {
    transactionId: e.transactionId, at, amountCents: e.amountCents, currency: e.currency, merchant: e.merchant,
    alerted: known?.alerted ?? false, deleted: false,
  };
  const judged = judge(t, state.changes, known ? 'update' : 'transaction');
  const next = judged?.transaction ?? t;
  const others = state.remembered.filter((r) => r.transactionId !== e.transactionId);
  return { state: { ...state, remembered: insertByTime(others, next) }, alerts: judged ? [judged] : [] };
}

function changeThreshold(state: AccountState, change: ThresholdChange) {
  if (state.changes.some((c) => c.id === change.id)) return { state, alerts: [] };
  const changes = insertByTime(state.changes, change);
  const alerts: Judgement[] = [];
  // Only transactions at or after the change can be judged differently now.
  const remembered = state.remembered.map((t) => {
    if (t.at < change.at) return t;
    const judged = judge(t, changes, 'late_threshold');
    if (!judged) return t;
    alerts.push(judged);
    return judged.transaction;
  });
  return { state: { ...state, changes, remembered }, alerts };
}

/** Moves the horizon to the lateness window's start (and past what the size bounds evict). */
function settle({ state, alerts }: { state: AccountState; alerts: Judgement[] }) {
  let horizon = Math.max(state.horizon ?? -Infinity, (state.watermark ?? -Infinity) - LATENESS_MS);
  let remembered = state.remembered.filter((t) => t.at > horizon);
  if (remembered.length > MAX_REMEMBERED) {
    const evicted = remembered.slice(0, remembered.length - MAX_REMEMBERED);
    horizon = Math.max(horizon, evicted[evicted.length - 1].at);
    remembered = remembered.filter((t) => t.at > horizon);
  }
  // Keep every change after the horizon and the one in effect at it; beyond MAX_CHANGES the oldest
  // go, and the horizon follows them so that nothing is judged against a forgotten history.
  let inEffect = -1;
  state.changes.forEach((c, i) => { if (c.at <= horizon) inEffect = i; });
  let changes = state.changes.slice(Math.max(0, inEffect));
  if (changes.length > MAX_CHANGES) {
    changes = changes.slice(changes.length - MAX_CHANGES);
    horizon = Math.max(horizon, changes[0].at);
    remembered = remembered.filter((t) => t.at > horizon);
  }
  const finite = Number.isFinite(horizon) ? horizon : null;
  return { state: { ...state, horizon: finite, remembered, changes }, alerts };
}

function insertByTime<T extends { readonly at: number }>(list: readonly T[], item: T): T[] {
  let i = list.length;
  while (i > 0 && list[i - 1].at > item.at) i--;
  return [...list.slice(0, i), item, ...list.slice(i)];
}

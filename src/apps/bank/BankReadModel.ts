/**
 * The read side of MyBank (CQRS): what the notification service reads. The projection fills it
 * from `user_alerts` (and `user_settings`, to show the threshold a user last set);
 * `adapters/sqlite/SqliteBankReadModel.ts` keeps it in SQLite tables and tells subscribers about
 * each alert once it is committed, which is what the server-sent-events stream pushes.
 */
import type { Projection } from '../../host/ProjectionStage.js';

export interface AlertView {
  readonly alertId: string;
  readonly userId: string;
  readonly transactionId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly merchant: string | null;
  readonly thresholdCents: number;
  readonly thresholdSetAt: string;
  /** The transaction's time (event time). */
  readonly at: string;
  readonly cause: string;
}

export interface ThresholdView {
  readonly userId: string;
  /** null: the user cleared it. */
  readonly amountCents: number | null;
  readonly currency: string | null;
  readonly setAt: string;
}

export type AlertListener = (alert: AlertView) => void;

export interface BankReadModel {
  /** The write side, run by the runtime under the commit protocol. */
  readonly projection: Projection;
  /** Newest transactions first. */
  alerts(userId: string, limit: number): AlertView[];
  /** Alerts of the user projected after the one with this id, oldest first (SSE's Last-Event-ID). */
  alertsAfter(userId: string, alertId: string, limit: number): AlertView[];
  threshold(userId: string): ThresholdView | undefined;
  /** The newest alerts of all users, newest first (the console's view). */
  latestAlerts(limit: number): AlertView[];
  /** Calls `listener` with each alert of the user as it is committed; returns the unsubscribe. */
  subscribe(userId: string, listener: AlertListener): () => void;
  /** Open subscriptions (streams), all users. */
  readonly subscribers: number;
}

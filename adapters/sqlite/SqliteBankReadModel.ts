/**
 * SQLite implementation of MyBank's read model (src/apps/bank/BankReadModel.ts).
 *
 *   bank_alerts(seq AUTOINCREMENT PK, alert_id UNIQUE, user_id, transaction_id, amount_cents,
 *               currency, merchant, threshold_cents, threshold_set_at, at, cause)
 *               — one row per alert; a redelivered alert (same id) is ignored
 *   bank_thresholds(user_id PK, amount_cents NULL, currency NULL, set_at, event_id)
 *               — the threshold change latest by event time
 * Written by the projection inside the commit transaction; queried through a second connection.
 * After each committed batch, the alerts past the last `seq` published are read back and handed to
 * the AlertFeed's subscribers — so a stream only ever sees committed alerts, each once.
 */
import type { Statement } from 'better-sqlite3';
import type { AlertRaised, SettingsEvent } from '../../actors/bank/events.js';
import { type BankTopics, bankTopics } from '../../config/bank.js';
import { AlertFeed } from '../../src/apps/bank/AlertFeed.js';
import type { AlertListener, AlertView, BankReadModel, ThresholdView } from '../../src/apps/bank/BankReadModel.js';
import type { EventEnvelope, EventSchema } from '../../src/events/EventSchema.js';
import type { Projection } from '../../src/host/ProjectionStage.js';
import type { StoreTransaction } from '../../src/store/StateStore.js';
import type { SqliteDatabase } from './SqliteStateStore.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bank_alerts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, alert_id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
  transaction_id TEXT NOT NULL, amount_cents INTEGER NOT NULL, currency TEXT NOT NULL, merchant TEXT,
  threshold_cents INTEGER NOT NULL, threshold_set_at TEXT NOT NULL, at TEXT NOT NULL, cause TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bank_alerts_by_user ON bank_alerts(user_id, at DESC);
CREATE TABLE IF NOT EXISTS bank_thresholds (
  user_id TEXT PRIMARY KEY, amount_cents INTEGER, currency TEXT, set_at TEXT NOT NULL, event_id TEXT NOT NULL);
`;

interface AlertRow {
  seq: number; alert_id: string; user_id: string; transaction_id: string; amount_cents: number; currency: string;
  merchant: string | null; threshold_cents: number; threshold_set_at: string; at: string; cause: string;
}

interface ThresholdRow {
  user_id: string; amount_cents: number | null; currency: string | null; set_at: string;
}

export class SqliteBankReadModel implements BankReadModel {
  readonly projection: Projection;
  private readonly feed = new AlertFeed();
  private published: number;
  // Prepared once: per request, and per commit for the two that publish().
  private readonly selectAlerts: Statement<[string, number], AlertRow>;
  private readonly selectAlertsAfter: Statement<[string, string, number], AlertRow>;
  private readonly selectThreshold: Statement<[string], ThresholdRow>;
  private readonly selectLastSeq: Statement<[], { seq: number | null }>;
  private readonly selectSince: Statement<[number], AlertRow>;
  private readonly selectLatest: Statement<[number], AlertRow>;

  /** `read` is a second connection to the same file for queries (defaults to `write`). */
  constructor(write: SqliteDatabase, read: SqliteDatabase = write, topics: BankTopics = bankTopics) {
    write.exec(SCHEMA);
    this.selectAlerts = read.prepare('SELECT * FROM bank_alerts WHERE user_id = ? ORDER BY at DESC, seq DESC LIMIT ?');
    this.selectAlertsAfter = read.prepare(
      `SELECT * FROM bank_alerts WHERE user_id = ? AND seq > coalesce((SELECT seq FROM bank_alerts WHERE alert_id = ?), 0)
       ORDER BY seq LIMIT ?`);
    this.selectThreshold = read.prepare('SELECT * FROM bank_thresholds WHERE user_id = ?');
    this.selectLastSeq = read.prepare('SELECT max(seq) AS seq FROM bank_alerts');
    this.selectSince = read.prepare('SELECT * FROM bank_alerts WHERE seq > ? ORDER BY seq');
    this.selectLatest = read.prepare('SELECT * FROM bank_alerts ORDER BY seq DESC LIMIT ?');
    // Streams opened from now on get what is projected from now on.
    this.published = this.selectLastSeq.get()?.seq ?? 0;
    this.projection = {
      // Every instance keeps every user's alerts and settings (a row per alert): any instance
      // answers any user, and the alerts stream a client holds to one instance sees them all.
      everyInstance: true,
      name: `${topics.userAlerts.name.split('.')[1]}.read_model`,
      inputs: new Map<string, EventSchema<EventEnvelope>>([
        [topics.userAlerts.name, topics.userAlerts.schema],
        [topics.userSettings.name, topics.userSettings.schema],
      ]),
      apply: (event, tx) => this.apply(event as AlertRaised | SettingsEvent, tx),
      afterCommit: () => this.publish(),
    };
  }

  alerts(userId: string, limit: number): AlertView[] {
    return this.selectAlerts.all(userId, limit).map(view);
  }

  alertsAfter(userId: string, alertId: string, limit: number): AlertView[] {
    return this.selectAlertsAfter.all(userId, alertId, limit).map(view);
  }

  threshold(userId: string): ThresholdView | undefined {
    const row = this.selectThreshold.get(userId);
    return row && { userId: row.user_id, amountCents: row.amount_cents, currency: row.currency, setAt: row.set_at };
  }

  latestAlerts(limit: number): AlertView[] {
    return this.selectLatest.all(limit).map(view);
  }

  subscribe(userId: string, listener: AlertListener): () => void {
    return this.feed.subscribe(userId, listener);
  }

  get subscribers(): number {
    return this.feed.subscribers;
  }

  private apply(event: AlertRaised | SettingsEvent, tx: StoreTransaction): void {
    if (event.type === 'bank.alert_raised') {
      tx.run(
        `INSERT INTO bank_alerts (alert_id, user_id, transaction_id, amount_cents, currency, merchant, threshold_cents,
           threshold_set_at, at, cause) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING`,
        [event.id, event.userId, event.transactionId, event.amountCents, event.currency, event.merchant,
          event.thresholdCents, event.thresholdSetAt, event.at, event.cause],
      );
      return;
    }
    const set = event.type === 'bank.threshold_set';
    // Latest by event time; at the same instant, the later record wins (as in the account actor).
    tx.run(
      `INSERT INTO bank_thresholds (user_id, amount_cents, currency, set_at, event_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET amount_cents = excluded.amount_cents, currency = excluded.currency,
         set_at = excluded.set_at, event_id = excluded.event_id
       WHERE julianday(excluded.set_at) >= julianday(bank_thresholds.set_at)`,
      [event.userId, set ? event.amountCents : null, set ? event.currency : null, event.at, event.id],
    );
  }

  private publish(): void {
    if (this.feed.subscribers === 0) {
      this.published = this.selectLastSeq.get()?.seq ?? 0;
      return;
    }
    const rows = this.selectSince.all(this.published);
    for (const row of rows) {
      this.published = row.seq;
      this.feed.publish(view(row));
    }
  }
}

function view(row: AlertRow): AlertView {
  return {
    alertId: row.alert_id,
    userId: row.user_id,
    transactionId: row.transaction_id,
    amountCents: row.amount_cents,
    currency: row.currency,
    merchant: row.merchant,
    thresholdCents: row.threshold_cents,
    thresholdSetAt: row.threshold_set_at,
    at: row.at,
    cause: row.cause,
  };
}

/**
 * MyBank under simulation, on its real default CDC path: the generator inserts transactions into
 * the SQLite source database of the process's data directory (`bank-source.db`), which the CDC
 * source connector the process runs — a background service of the hosted app: SqliteChangeSource,
 * the shared row→event mapper, dead-lettering of bad rows, position in the state database — polls
 * on the clock and produces through the edge producer. Account holders set, lower, raise and clear
 * thresholds through the threshold service's routes (a few invalid requests among them, refused
 * with a 400); some changes arrive late (an event time before transactions already produced:
 * another producer's, straight to `user_settings`); and a few source rows are malformed.
 *
 * The truth per transaction follows docs/bank.md. The threshold in effect at its time, given every
 * change, decides whether it MUST alert. Since the two topics are consumed independently, the actor
 * may have judged it earlier against a prefix of the user's changes (in production order), and an
 * alert once raised is never retracted: a transaction that some prefix alerts MAY alert; one that
 * no prefix alerts must NEVER. Traffic stays within what the actor remembers (24 h, 256
 * transactions, 64 changes) even when one topic runs ahead of the other: a user pays at most once
 * a second and changes settings at most every 30 s,
 * and a late change reaches back over fewer than 200 of the user's transactions, counting those
 * that may overtake it.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { alertId } from '../../../actors/bank/accountMachine.js';
import { bankTopics as t } from '../../../config/bank.js';
import { DLQ_HEADERS } from '../../host/deadLetter.js';
import { deadLetterTopic } from '../../host/topology.js';
import type { IntentionallyUnreached } from '../../sim/coverage.js';
import { type SimRequest, caller } from '../../sim/SimEdge.js';
import type { Invariant, SimCall, SimView } from '../../sim/Simulation.js';
import { perTick, pick, skewed, timesIn } from '../../sim/traffic.js';
import type { SqliteDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import type { AppSimulation, HostedApp, SimulationContext } from '../AppModule.js';
import { CREATE_SOURCE_TABLE, SOURCE_FILE, SOURCE_TABLE } from './sourceTable.js';

const SETTINGS = 0.08;
const LATE_SETTINGS = 0.03;
const MALFORMED = 0.006;
const INVALID = 0.004;
const LATE_MAX_MS = 10 * 60_000;
/**
 * Of the 256 transactions an account remembers, a late change reaches back over at most this many
 * less those the user makes in MAX_LAG_MS — the most one topic can run ahead of the other (a
 * paused partition holds 30 s, a restart a little more).
 */
const REACH = 200;
const MAX_LAG_MS = 120_000;
const CHANGE_EVERY_MS = 30_000;
/**
 * A user who just paid hands the next transaction to someone else, or it is not made: the
 * transactions per account stay bounded (with few users, this caps the rate).
 */
const TXN_GAP_MS = 1_000;
const LEVELS = [5_000, 10_000, 25_000, 50_000, 100_000, 250_000];
const MERCHANTS = ['Acme Groceries', 'City Transit', 'Corner Cafe', 'ElectroMart', 'Fly Away Air', 'Fuel Stop'];
const CONNECTOR = 'bank.cdc.sqlite';

interface Change {
  readonly id: string;
  readonly at: number;
  /** null: cleared. */
  readonly amount: number | null;
  readonly currency: string;
  /** Position in the generator's output, to tell a late change from an on-time one. */
  readonly seq: number;
}

interface Holder {
  readonly changes: Change[];
  /** Event times of the latest transactions (the oldest trimmed now and then). */
  readonly recent: number[];
  lastChangeAt: number;
}

interface Txn {
  readonly id: string;
  readonly userId: string;
  readonly at: number;
  readonly amount: number;
  readonly currency: string;
  readonly seq: number;
}

type Verdict = 'must' | 'may' | 'never';

/** Transitions this traffic does not reach (statechart coverage, src/sim/coverage.ts). */
export const bankUnreached: IntentionallyUnreached = {
  'bank.account': {
    '(root) --bank.transaction_deleted--> (stay)':
      'the generator only inserts source rows; deleting one would need the truth above to model an alert for a transaction later removed',
    '(root) --bank.transaction_updated--> (stay)':
      'the generator only inserts source rows; amending one would need the truth above to judge both amounts against the thresholds',
  },
};

export function simulateBank(_hosted: HostedApp, ctx: SimulationContext): AppSimulation {
  const { random, ids, sizes, tickMs } = ctx;
  const { db } = ctx.app;
  // The file the connector reads (hostBank: KASTOR_BANK_CDC=sqlite, the default file).
  const source = new Database(join(ctx.app.dataDir, SOURCE_FILE));
  source.pragma('journal_mode = WAL');
  source.pragma('synchronous = OFF');
  source.exec(CREATE_SOURCE_TABLE);
  const insert = source.prepare<[unknown, unknown, unknown, unknown, unknown]>(
    `INSERT INTO ${SOURCE_TABLE} (user_id, amount_cents, currency, merchant, created_at) VALUES (?, ?, ?, ?, ?)`);

  const position = db.prepare<[string], { position: string }>('SELECT position FROM kastor_cdc_positions WHERE connector = ?');
  let lastRow = 0n;

  const holders = new Map<string, Holder>();
  const txns: Txn[] = [];
  const malformed = new Set<string>();
  let seq = 0;
  let lateChanges = 0;
  const holder = (userId: string): Holder => {
    let h = holders.get(userId);
    if (!h) holders.set(userId, (h = { changes: [], recent: [], lastChangeAt: -Infinity }));
    return h;
  };
  const user = () => `user_${skewed(sizes.users, random, 2)}`;

  /** A change of the user's threshold: through the route when `at` is now, else straight to the topic, late. */
  const change = (userId: string, h: Holder, at: number, now: number): SimCall | undefined => {
    const late = at < ctx.clock.now();
    if (!late && h.changes.some((c) => c.at === at)) return undefined;
    const inEffect = thresholdAt(h.changes, at);
    const roll = random();
    let amount: number | null;
    if (!inEffect || inEffect.amount === null) amount = roll < 0.1 && inEffect ? null : pick(LEVELS, random);
    else if (roll < 0.5) amount = Math.max(100, Math.floor(inEffect.amount * (0.2 + 0.6 * random())));
    else if (roll < 0.85) amount = Math.ceil(inEffect.amount * (1.5 + random()));
    else amount = null;
    const currency = amount === null ? '' : inEffect?.amount ? inEffect.currency : random() < 0.9 ? 'USD' : 'EUR';
    while (h.changes.some((c) => c.at === at)) at++;
    const id = ids.next();
    h.changes.push({ id, at, amount, currency, seq: seq++ });
    h.lastChangeAt = now;
    if (!late) {
      return amount === null
        ? { method: 'DELETE', url: `/bank/users/${userId}/threshold`, as: caller.user(userId), expect: 202 }
        : { method: 'POST', url: `/bank/users/${userId}/threshold`, body: { amountCents: amount, currency }, as: caller.user(userId), expect: 202 };
    }
    const fields = amount === null ? { type: 'bank.threshold_cleared', userId } : { type: 'bank.threshold_set', userId, amountCents: amount, currency };
    return { topic: t.userSettings.name, key: userId, value: JSON.stringify({ id, key: userId, at: new Date(at).toISOString(), ...fields }) };
  };

  /**
   * A threshold request the service must refuse, producing nothing: invalid (400), or someone
   * silencing another user's alerts (403), or no token (401).
   */
  const invalid = (): SimRequest => {
    const userId = user();
    const url = `/bank/users/${userId}/threshold`;
    const roll = random();
    if (roll < 0.15) return { method: 'DELETE', url, as: caller.user(`${userId}_x`), expect: 403 };
    if (roll < 0.3) return { method: 'POST', url, body: { amountCents: 10_000 }, expect: 401 };
    const body = [{ amountCents: -100 }, { amountCents: 12.5 }, { amountCents: 10_000, currency: 'ZZZ' }, {}][Math.floor(random() * 4)];
    return { method: 'POST', url, body, as: caller.user(userId), expect: 400 };
  };

  const next = (until: number): SimCall[] => {
    const out: SimCall[] = [];
    const rows = () => {
      for (const at of timesIn(until, tickMs, perTick(sizes.rate, tickMs, random))) {
        const time = Date.parse(at);
        let userId = user();
        let h = holder(userId);
        const roll = random();
        const settings = roll < SETTINGS + LATE_SETTINGS && time - h.lastChangeAt >= CHANGE_EVERY_MS;
        if (roll > 1 - INVALID) {
          out.push(invalid());
        } else if (settings) {
          // On time: the route stamps it now.
          let when = until;
          const reach = REACH - h.recent.filter((x) => x > time - MAX_LAG_MS).length;
          if (roll >= SETTINGS && h.recent.length > 0 && reach > 0) {
            when = time - 1 - Math.floor(random() * LATE_MAX_MS);
            if (h.recent.length >= reach) when = Math.max(when, h.recent[h.recent.length - reach] + 1);
            if (when < time) lateChanges++;
          }
          const call = change(userId, h, when, time);
          if (call) out.push(call);
        } else if (roll >= SETTINGS + LATE_SETTINGS && roll < SETTINGS + LATE_SETTINGS + MALFORMED) {
          const kind = Math.floor(random() * 5);
          const row: unknown[] = [userId, 12_345, 'USD', pick(MERCHANTS, random), at];
          if (kind === 0) row[1] = null;
          else if (kind === 1) row[2] = 'ZZZ';
          else if (kind === 2) row[1] = 123.5;
          else if (kind === 3) row[0] = 'not a user!';
          else row[4] = 'yesterday';
          const rowid = BigInt(insert.run(row[0], row[1], row[2], row[3], row[4]).lastInsertRowid);
          malformed.add(`rowid ${rowid}`);
          lastRow = rowid;
        } else {
          const busy = (x: Holder) => time - (x.recent.at(-1) ?? -Infinity) < TXN_GAP_MS;
          if (busy(h) && busy((h = holder((userId = `user_${Math.floor(random() * sizes.users)}`))))) continue;
          // Log-uniform from $1 to $5,000: mostly small, now and then large.
          const amount = Math.round(100 * Math.exp(random() * Math.log(5_000)));
          const currency = random() < 0.9 ? 'USD' : 'EUR';
          const rowid = BigInt(insert.run(userId, amount, currency, pick(MERCHANTS, random), at).lastInsertRowid);
          const id = String(rowid);
          lastRow = rowid;
          txns.push({ id, userId, at: time, amount, currency, seq: seq++ });
          h.recent.push(time);
          if (h.recent.length > 2 * REACH) h.recent.splice(0, REACH);
        }
      }
    };
    source.transaction(rows)();
    return out;
  };

  /** The connector has produced every row inserted (its position is stored after the broker confirmed them). */
  const settled = (): boolean => {
    const at = position.get('bank.cdc.sqlite')?.position;
    return lastRow === 0n || (at !== undefined && BigInt(at) >= lastRow);
  };

  const check = (view: SimView): Invariant[] => {
    const invariants = [
      ...checkAlerts(view, txns, holders, db),
      checkDeadLetters(view, malformed),
      checkThresholds(db, holders),
    ];
    invariants[0] = { ...invariants[0], detail: `${invariants[0].detail}; ${lateChanges} late settings changes` };
    // The run is over: the generator's connection goes (the connector closes its own when stopped).
    source.close();
    return invariants;
  };

  const readModels = (): string => {
    const alerts = db.prepare(`SELECT alert_id, user_id, transaction_id, amount_cents, currency, threshold_cents, threshold_set_at, at, cause
      FROM bank_alerts ORDER BY alert_id`).all();
    const thresholds = db.prepare('SELECT * FROM bank_thresholds ORDER BY user_id').all();
    const positions = db.prepare('SELECT * FROM kastor_cdc_positions ORDER BY connector').all();
    return JSON.stringify({ alerts, thresholds, positions });
  };

  return { traffic: { next }, check, settled, readModels, unreached: bankUnreached };
}

/** The change in effect at `at` given `changes` (latest by event time, ties to the later one). */
function thresholdAt(changes: readonly Change[], at: number): Change | undefined {
  let found: Change | undefined;
  for (const c of changes) if (c.at <= at && (!found || c.at >= found.at)) found = c;
  return found;
}

const alerts = (c: Change | undefined, x: Txn): boolean =>
  c !== undefined && c.amount !== null && c.currency === x.currency && x.amount > c.amount;

/** MUST: the full history alerts; MAY: some prefix of the changes, in production order, does. */
function verdict(x: Txn, changes: readonly Change[]): { verdict: Verdict; decidedBy?: Change; setAfter: boolean } {
  let inEffect: Change | undefined;
  let some = false;
  let setAfter = false;
  for (const c of changes) {
    if (c.at <= x.at) {
      if (!inEffect || c.at >= inEffect.at) inEffect = c;
      some ||= alerts(inEffect, x);
    } else if (alerts(c, x)) {
      setAfter = true;
    }
  }
  if (alerts(inEffect, x)) return { verdict: 'must', decidedBy: inEffect, setAfter };
  return { verdict: some ? 'may' : 'never', setAfter };
}

function checkAlerts(view: SimView, txns: readonly Txn[], holders: ReadonlyMap<string, Holder>, db: SqliteDatabase): Invariant[] {
  const copies = new Map<string, { ids: Set<string>; values: Set<string> }>();
  for (const r of view.records(t.userAlerts.name)) {
    const e = JSON.parse(r.value!) as { id: string; transactionId: string };
    let c = copies.get(e.transactionId);
    if (!c) copies.set(e.transactionId, (c = { ids: new Set(), values: new Set() }));
    c.ids.add(e.id);
    c.values.add(r.value!);
  }
  const missing: string[] = [];
  const wrong: string[] = [];
  const afterWrong: string[] = [];
  let must = 0;
  let viaLate = 0;
  let may = 0;
  let mayAlerted = 0;
  let setAfter = 0;
  const known = new Set<string>();
  for (const x of txns) {
    known.add(x.id);
    const v = verdict(x, holders.get(x.userId)!.changes);
    const alerted = copies.has(x.id);
    if (v.verdict === 'must') {
      must++;
      if (v.decidedBy!.seq > x.seq) viaLate++;
      if (!alerted) missing.push(`${x.id} (${x.userId}, ${x.amount} ${x.currency} at ${new Date(x.at).toISOString()})`);
    } else if (v.verdict === 'may') {
      may++;
      if (alerted) mayAlerted++;
    } else {
      if (alerted) wrong.push(`${x.id} (${x.userId}, ${x.amount} ${x.currency})`);
      if (v.setAfter) {
        setAfter++;
        if (alerted) afterWrong.push(x.id);
      }
    }
  }
  for (const id of copies.keys()) if (!known.has(id)) wrong.push(`${id} (no such transaction)`);
  const twice = [...copies].filter(([, c]) => c.ids.size !== 1 || c.values.size !== 1).map(([id, c]) => `${id}: ids ${[...c.ids].join(', ')}`);
  const projected = db.prepare<[], { alert_id: string }>('SELECT alert_id FROM bank_alerts').all().map((r) => r.alert_id);
  const onTopic = [...copies.keys()].map(alertId);
  const sameSet = projected.length === onTopic.length && onTopic.every((id) => new Set(projected).has(id));
  return [
    { name: 'bank: every transaction above the threshold in effect at its time alerted', held: missing.length === 0,
      detail: `${must} expected, ${viaLate} of them through a late settings change${missing.length ? `; missing ${missing.length}: ${missing.slice(0, 3).join(', ')}` : ''}` },
    { name: 'bank: no alert for a transaction at or below the threshold in effect (nor without one)', held: wrong.length === 0,
      detail: wrong.length ? wrong.slice(0, 3).join(', ') : `${copies.size} alerted, ${mayAlerted} of ${may} judged against an earlier threshold and never retracted` },
    { name: 'bank: a threshold set or lowered after a transaction never alerts for it', held: afterWrong.length === 0,
      detail: afterWrong.length ? afterWrong.slice(0, 3).join(', ') : `${setAfter} transactions` },
    { name: 'bank: one alert per transaction (copies only under the same id)', held: twice.length === 0, detail: twice.slice(0, 3).join('; ') },
    { name: 'bank: the read model holds each alert once', held: sameSet, detail: `${projected.length} rows, ${onTopic.length} alerts` },
  ];
}

function checkDeadLetters(view: SimView, malformed: ReadonlySet<string>): Invariant {
  const refs = new Set<string>();
  for (const r of view.records(deadLetterTopic('bank').name)) {
    if (r.headers[DLQ_HEADERS.stage] === CONNECTOR) refs.add(r.headers[DLQ_HEADERS.offset]);
  }
  const held = refs.size === malformed.size && [...malformed].every((ref) => refs.has(ref));
  return { name: 'bank: every malformed source row dead-lettered, and no other', held, detail: `${refs.size} of ${malformed.size}` };
}

function checkThresholds(db: SqliteDatabase, holders: ReadonlyMap<string, Holder>): Invariant {
  const rows = db.prepare<[], { user_id: string; amount_cents: number | null; currency: string | null; set_at: string }>(
    'SELECT user_id, amount_cents, currency, set_at FROM bank_thresholds').all();
  const seen = new Map(rows.map((r) => [r.user_id, r]));
  const wrong: string[] = [];
  let users = 0;
  for (const [userId, h] of holders) {
    if (h.changes.length === 0) continue;
    users++;
    const latest = thresholdAt(h.changes, Infinity)!;
    const row = seen.get(userId);
    if (!row || row.amount_cents !== latest.amount || (row.currency ?? '') !== latest.currency || Date.parse(row.set_at) !== latest.at) {
      wrong.push(`${userId}: ${row ? `${row.amount_cents} ${row.currency} at ${row.set_at}` : 'none'}, truth ${latest.amount} at ${new Date(latest.at).toISOString()}`);
    }
  }
  return { name: 'bank: the read model shows each user\'s threshold latest by event time', held: wrong.length === 0 && seen.size === users,
    detail: wrong.slice(0, 3).join('; ') || `${users} users` };
}

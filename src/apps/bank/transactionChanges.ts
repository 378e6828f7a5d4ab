/**
 * The row → event mapping of the source table `transactions(id, user_id, amount_cents, currency,
 * merchant, created_at)` (SPEC §3), shared by every CDC source (src/cdc/SourceConnector.ts):
 * insert → `bank.transaction_recorded`, update → `bank.transaction_updated`, delete →
 * `bank.transaction_deleted`, keyed by user_id, with `at` = the row's created_at (event time).
 *
 * Event ids come from the source position, so that a batch produced twice carries the same ids:
 * `txn-<id>` where each row is seen once (query-based CDC), `pg-<lsn>:<n>-<id>` where the log holds
 * several changes of a row (log-based CDC). A row that cannot be an event — null or fractional
 * amount, unknown currency, non-numeric id, bad user id, unreadable time — is rejected with the
 * reason, for the dead-letter topic.
 *
 * Values are accepted as the sources give them: numbers, bigints or decimal text (PostgreSQL's
 * pgoutput sends text), times as ISO 8601, SQLite's `YYYY-MM-DD HH:MM:SS` (UTC) or PostgreSQL's
 * `YYYY-MM-DD HH:MM:SS.ffffff+HH`.
 */
import type { z } from 'zod';
import { describeIssues } from '../../events/EventSchema.js';
import { CURRENCIES, MAX_CENTS, transactionDeleted, transactionRecorded, transactionUpdated, userId } from '../../../actors/bank/events.js';
import type { ChangeMapper, MappedChange, RowChange } from '../../cdc/SourceConnector.js';

class Rejected extends Error {}

const reject = (column: string, why: string, value: unknown): never => {
  throw new Rejected(`${column}: ${why}, got ${show(value)}`);
};

export function transactionChangeMapper(topic: string): ChangeMapper {
  return (change: RowChange): MappedChange => {
    try {
      const event = toEvent(change);
      return { record: { topic, key: event.key, value: JSON.stringify(event) } };
    } catch (e) {
      if (e instanceof Rejected) return { reject: e.message };
      throw e;
    }
  };
}

function toEvent(change: RowChange) {
  const { row } = change;
  const id = integerText(row.id, 'id');
  const user = userId.safeParse(row.user_id);
  if (!user.success) reject('user_id', 'must be 1–64 letters, digits, _ or -', row.user_id);
  const key = user.data!;
  const at = sourceTime(row.created_at);
  const envelope = {
    id: change.logPosition ? `pg-${change.logPosition}-${id}` : `txn-${id}`,
    key,
    at,
    transactionId: id,
    userId: key,
  };
  if (change.kind === 'delete') return checked(transactionDeleted, { ...envelope, type: 'bank.transaction_deleted' });
  const fields = { ...envelope, amountCents: amount(row.amount_cents), currency: currencyOf(row.currency), merchant: merchantOf(row.merchant) };
  return change.kind === 'insert'
    ? checked(transactionRecorded, { ...fields, type: 'bank.transaction_recorded' })
    : checked(transactionUpdated, { ...fields, type: 'bank.transaction_updated' });
}

function checked<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new Rejected(describeIssues(result.error));
  return result.data;
}

function integerText(value: unknown, column: string): string {
  let text: string | undefined;
  if (typeof value === 'bigint') text = value.toString();
  else if (typeof value === 'number' && Number.isSafeInteger(value)) text = String(value);
  else if (typeof value === 'string' && /^[0-9]+$/.test(value.trim())) text = BigInt(value.trim()).toString();
  if (text === undefined || !/^[1-9][0-9]{0,18}$/.test(text)) reject(column, 'must be a positive integer', value);
  return text!;
}

function amount(value: unknown): number {
  let n: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && /^-?[0-9]+$/.test(value.trim())) n = Number(value.trim());
  if (value === null || value === undefined) reject('amount_cents', 'is required', value);
  if (n === undefined) reject('amount_cents', 'must be an integer number of cents', value);
  if (Math.abs(n!) > MAX_CENTS) reject('amount_cents', `must be within ±${MAX_CENTS}`, value);
  return n!;
}

function currencyOf(value: unknown): string {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : undefined;
  if (!code || !(CURRENCIES as readonly string[]).includes(code)) reject('currency', 'unknown currency', value);
  return code!;
}

function merchantOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') reject('merchant', 'must be text', value);
  return (value as string).slice(0, 200);
}

const SOURCE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A source timestamp as ISO 8601 (UTC when the source gives no zone, as SQLite's datetime() does). */
export function sourceTime(value: unknown): string {
  let ms = Number.NaN;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string') {
    const m = SOURCE_TIME.exec(value.trim());
    if (m) {
      const [, date, time, fraction = '', zone = 'Z'] = m;
      const offset = /^[+-]\d{2}$/.test(zone) ? `${zone}:00` : /^[+-]\d{4}$/.test(zone) ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase();
      ms = Date.parse(`${date}T${time}${fraction.slice(0, 4)}${offset}`);
    }
  }
  if (!Number.isFinite(ms)) reject('created_at', 'must be a timestamp', value);
  return new Date(ms).toISOString();
}

function show(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

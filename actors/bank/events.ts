/**
 * MyBank's events (SPEC §3). Transactions come from the source database through CDC (their `at` is
 * the row's created_at); a threshold change is an event saying what the user did and when ("user_123
 * set a threshold of 100000 cents at 12:00"), never the user's current settings; an alert names the
 * transaction and the threshold that was in effect at its time.
 */
import { z } from 'zod';
import { envelopeFields, zodEventSchema } from '../../src/events/EventSchema.js';

export const userId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');

/** The source database's row id: a positive integer, kept as its decimal text (bigint-safe). */
export const transactionId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be a positive integer');

/** ISO 4217 codes the bank handles; a row in any other currency is malformed. */
export const CURRENCIES = [
  'USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF',
  'INR', 'CNY', 'HKD', 'SGD', 'BRL', 'MXN', 'ZAR', 'KRW', 'TRY', 'ILS',
] as const;
export type Currency = (typeof CURRENCIES)[number];
export const currency = z.enum(CURRENCIES, { error: `must be one of ${CURRENCIES.join(', ')}` });

/** Amounts are integers in the currency's minor unit; ±10^15 keeps them exact as JS numbers. */
export const MAX_CENTS = 1e15;
export const cents = z.number().int('must be an integer number of cents').min(-MAX_CENTS).max(MAX_CENTS);
export const thresholdCents = z.number().int('must be an integer number of cents').positive().max(MAX_CENTS);

const transactionFields = {
  transactionId,
  userId,
  amountCents: cents,
  currency,
  merchant: z.string().max(200).nullable(),
};

export const transactionRecorded = z.object({ ...envelopeFields, type: z.literal('bank.transaction_recorded'), ...transactionFields });
/** A row changed after it was recorded (log-based CDC sees updates; query-based CDC does not). */
export const transactionUpdated = z.object({ ...envelopeFields, type: z.literal('bank.transaction_updated'), ...transactionFields });
export const transactionDeleted = z.object({
  ...envelopeFields,
  type: z.literal('bank.transaction_deleted'),
  transactionId,
  userId,
});

export const thresholdSet = z.object({
  ...envelopeFields,
  type: z.literal('bank.threshold_set'),
  userId,
  amountCents: thresholdCents,
  currency,
});
export const thresholdCleared = z.object({ ...envelopeFields, type: z.literal('bank.threshold_cleared'), userId });

export const ALERT_CAUSES = ['transaction', 'update', 'late_threshold'] as const;

export const alertRaised = z.object({
  ...envelopeFields,
  type: z.literal('bank.alert_raised'),
  userId,
  transactionId,
  amountCents: cents,
  currency,
  merchant: z.string().nullable(),
  thresholdCents,
  /** Event time of the threshold change that was in effect at the transaction's time. */
  thresholdSetAt: z.iso.datetime({ offset: true }),
  /** What made the actor judge: the transaction itself, an update of it, or a late settings change. */
  cause: z.enum(ALERT_CAUSES),
});

export type TransactionRecorded = z.infer<typeof transactionRecorded>;
export type TransactionUpdated = z.infer<typeof transactionUpdated>;
export type TransactionDeleted = z.infer<typeof transactionDeleted>;
export type ThresholdSet = z.infer<typeof thresholdSet>;
export type ThresholdCleared = z.infer<typeof thresholdCleared>;
export type AlertRaised = z.infer<typeof alertRaised>;

export type TransactionEvent = TransactionRecorded | TransactionUpdated | TransactionDeleted;
export type SettingsEvent = ThresholdSet | ThresholdCleared;
export type AccountEvent = TransactionEvent | SettingsEvent;

export const transactionsSchema = zodEventSchema(
  z.discriminatedUnion('type', [transactionRecorded, transactionUpdated, transactionDeleted]),
);
export const settingsSchema = zodEventSchema(z.discriminatedUnion('type', [thresholdSet, thresholdCleared]));
export const alertsSchema = zodEventSchema(alertRaised);

import { expect } from 'chai';
import { transactionsSchema } from '../../../actors/bank/events.js';
import { transactionChangeMapper } from '../../../src/apps/bank/transactionChanges.js';
import type { MappedChange, RowChange } from '../../../src/cdc/SourceConnector.js';

const map = transactionChangeMapper('etl.bank.bank_transactions');
const row = (over: Record<string, unknown> = {}) => ({
  id: 42n, user_id: 'user_123', amount_cents: 150_000n, currency: 'USD', merchant: 'Acme', created_at: '2026-01-01 12:00:00', ...over,
});
const change = (over: Record<string, unknown> = {}, extra: Partial<RowChange> = {}): RowChange =>
  ({ kind: 'insert', table: 'transactions', row: row(over), ref: 'rowid 42', ...extra });
const event = (m: MappedChange) => {
  if (!('record' in m)) throw new Error(`rejected: ${m.reject}`);
  return JSON.parse(m.record.value!);
};
const reason = (m: MappedChange) => ('reject' in m ? m.reject : 'not rejected');

describe('transactions row → event mapping', () => {
  it('maps an inserted SQLite row to bank.transaction_recorded keyed by user, at its created_at', () => {
    const m = map(change());
    expect('record' in m && m.record.key).to.equal('user_123');
    expect(event(m)).to.deep.equal({
      id: 'txn-42', key: 'user_123', at: '2026-01-01T12:00:00.000Z', transactionId: '42', userId: 'user_123',
      type: 'bank.transaction_recorded', amountCents: 150_000, currency: 'USD', merchant: 'Acme',
    });
    expect(() => transactionsSchema.parse(event(m))).to.not.throw();
  });

  it('maps PostgreSQL text values, updates and deletes, with ids from the log position', () => {
    const pg = { id: '7', user_id: 'u_9', amount_cents: '-2500', currency: 'eur', merchant: null, created_at: '2026-01-01 13:00:00.123456+01' };
    const updated = event(map({ kind: 'update', table: 'public.transactions', row: pg, ref: '0/21AD568#2', logPosition: '0/21AD568:2' }));
    expect(updated).to.include({ id: 'pg-0/21AD568:2-7', type: 'bank.transaction_updated', amountCents: -2500, currency: 'EUR', at: '2026-01-01T12:00:00.123Z' });
    expect(updated.merchant).to.equal(null);
    const removed = event(map({ kind: 'delete', table: 'public.transactions', row: pg, ref: '0/21AD600#1', logPosition: '0/21AD600:1' }));
    expect(removed).to.deep.equal({ id: 'pg-0/21AD600:1-7', key: 'u_9', at: '2026-01-01T12:00:00.123Z', transactionId: '7', userId: 'u_9', type: 'bank.transaction_deleted' });
  });

  it('reads ISO times with zones and SQLite times as UTC', () => {
    expect(event(map(change({ created_at: '2026-01-01T12:00:00+05:30' }))).at).to.equal('2026-01-01T06:30:00.000Z');
    expect(event(map(change({ created_at: '2026-01-01T12:00:00.5Z' }))).at).to.equal('2026-01-01T12:00:00.500Z');
    expect(event(map(change({ created_at: '2026-01-01 12:00' }))).at).to.equal('2026-01-01T12:00:00.000Z');
  });

  it('rejects malformed rows with a reason naming the column and the value', () => {
    expect(reason(map(change({ amount_cents: null })))).to.equal('amount_cents: is required, got null');
    expect(reason(map(change({ amount_cents: 12.5 })))).to.match(/^amount_cents: must be an integer number of cents, got 12.5/);
    expect(reason(map(change({ amount_cents: 'lots' })))).to.match(/^amount_cents: must be an integer/);
    expect(reason(map(change({ amount_cents: 10n ** 17n })))).to.match(/^amount_cents: must be within/);
    expect(reason(map(change({ currency: 'ZZZ' })))).to.equal('currency: unknown currency, got "ZZZ"');
    expect(reason(map(change({ currency: null })))).to.match(/^currency: unknown currency/);
    expect(reason(map(change({ id: 'abc' })))).to.equal('id: must be a positive integer, got "abc"');
    expect(reason(map(change({ id: 0n })))).to.match(/^id: must be a positive integer/);
    expect(reason(map(change({ id: 1.5 })))).to.match(/^id: must be a positive integer/);
    expect(reason(map(change({ user_id: 'a b' })))).to.match(/^user_id: /);
    expect(reason(map(change({ user_id: null })))).to.match(/^user_id: /);
    expect(reason(map(change({ created_at: 'yesterday' })))).to.equal('created_at: must be a timestamp, got "yesterday"');
    expect(reason(map(change({ created_at: null })))).to.match(/^created_at: must be a timestamp/);
    expect(reason(map(change({ merchant: 5 })))).to.match(/^merchant: must be text/);
  });

  it('rejects a delete whose old row lacks the user (REPLICA IDENTITY DEFAULT)', () => {
    const m = map({ kind: 'delete', table: 'public.transactions', row: { id: '7' }, ref: 'x', logPosition: '0/1:1' });
    expect(reason(m)).to.match(/^user_id: /);
  });
});

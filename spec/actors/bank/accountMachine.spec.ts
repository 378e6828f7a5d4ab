import { expect } from 'chai';
import { createActor } from 'xstate';
import { accountMachine } from '../../../actors/bank/accountMachine.js';
import { LATENESS_MS, MAX_REMEMBERED } from '../../../actors/bank/accountState.js';
import { type AccountEvent, type AlertRaised, alertsSchema } from '../../../actors/bank/events.js';

/** 2026-01-01 at hh:mm:ss UTC. */
const at = (hh: number, mm = 0, ss = 0) => new Date(Date.UTC(2026, 0, 1, hh, mm, ss)).toISOString();
let seq = 0;

const txn = (id: number, amountCents: number, time: string, extra: Record<string, unknown> = {}) =>
  ({ id: `txn-${id}`, type: 'bank.transaction_recorded', key: 'user_123', at: time, transactionId: String(id), userId: 'user_123',
    amountCents, currency: 'USD', merchant: 'Acme', ...extra }) as AccountEvent;
const threshold = (amountCents: number, time: string, currency = 'USD') =>
  ({ id: `s${++seq}`, type: 'bank.threshold_set', key: 'user_123', at: time, userId: 'user_123', amountCents, currency }) as AccountEvent;
const cleared = (time: string) => ({ id: `s${++seq}`, type: 'bank.threshold_cleared', key: 'user_123', at: time, userId: 'user_123' }) as AccountEvent;
const updated = (id: number, amountCents: number, time: string) =>
  ({ ...txn(id, amountCents, time), id: `pg-${++seq}-${id}`, type: 'bank.transaction_updated' }) as AccountEvent;
const deleted = (id: number, time: string) =>
  ({ id: `pg-${++seq}-${id}`, type: 'bank.transaction_deleted', key: 'user_123', at: time, transactionId: String(id), userId: 'user_123' }) as AccountEvent;

function start(snapshot?: unknown) {
  const actor = createActor(accountMachine, { input: { key: 'user_123' }, ...(snapshot ? { snapshot: snapshot as never } : {}) });
  const alerts: AlertRaised[] = [];
  actor.on('bank.alert_raised', (e) => alerts.push(e as AlertRaised));
  actor.start();
  const send = (...events: AccountEvent[]) => events.forEach((e) => actor.send(e));
  const alerted = () => alerts.map((a) => a.transactionId);
  return { actor, alerts, send, alerted };
}

describe('account actor', () => {
  it('alerts for a transaction above the threshold in effect at its time, naming both', () => {
    const { send, alerts } = start();
    send(threshold(100_000, at(12)), txn(1, 100_001, at(12, 30)), txn(2, 100_000, at(12, 31)), txn(3, 5_000, at(12, 32)));
    expect(alerts).to.have.length(1);
    const alert = alerts[0];
    expect(alert).to.deep.equal({
      type: 'bank.alert_raised', id: 'alert-1', key: 'user_123', at: at(12, 30), userId: 'user_123', transactionId: '1',
      amountCents: 100_001, currency: 'USD', merchant: 'Acme', thresholdCents: 100_000, thresholdSetAt: at(12), cause: 'transaction',
    });
    // What the actor emits passes the topic's schema.
    expect(() => alertsSchema.parse(alert)).to.not.throw();
  });

  it('never alerts without a threshold, nor after the user cleared it', () => {
    const { send, alerted } = start();
    send(txn(1, 9_999_999, at(11)), threshold(100, at(12)), txn(2, 500, at(12, 1)), cleared(at(13)), txn(3, 9_999_999, at(13, 1)));
    expect(alerted()).to.deep.equal(['2']);
  });

  it('a threshold set after the transaction, by event time, never alerts for it — even when it arrives first', () => {
    const { send, alerted } = start();
    // CDC lag: the 12:00 transaction reaches the actor after the 12:05 setting.
    send(threshold(100, at(12, 5)), txn(1, 50_000, at(12)));
    expect(alerted()).to.deep.equal([]);
    send(txn(2, 50_000, at(12, 6)));
    expect(alerted()).to.deep.equal(['2']);
  });

  it('a threshold lowered after a transaction never alerts for it', () => {
    const { send, alerted } = start();
    send(threshold(100_000, at(11)), txn(1, 50_000, at(12)), threshold(1_000, at(12, 10)));
    expect(alerted()).to.deep.equal([]);
    send(txn(2, 50_000, at(12, 11)));
    expect(alerted()).to.deep.equal(['2']);
  });

  it('judges by the threshold in effect at the transaction time, not the latest one', () => {
    const { send, alerts } = start();
    send(threshold(1_000, at(10)), threshold(100_000, at(12)), txn(1, 50_000, at(11)), txn(2, 50_000, at(13)));
    expect(alerts.map((a) => [a.transactionId, a.thresholdCents, a.thresholdSetAt])).to.deep.equal([['1', 1_000, at(10)]]);
  });

  it('counts a threshold set at the very instant of the transaction as in effect', () => {
    const { send, alerted } = start();
    send(txn(1, 50_000, at(12)), threshold(1_000, at(12)));
    expect(alerted()).to.deep.equal(['1']);
  });

  it('a settings change that arrives late re-judges the transactions after it, once', () => {
    const { send, alerts } = start();
    // The settings partition lags: the transactions of 12:10 and 12:20 are in, the 12:05 threshold is not.
    send(txn(1, 50_000, at(12, 10)), txn(2, 500, at(12, 20)), txn(3, 70_000, at(12, 1)));
    expect(alerts).to.have.length(0);
    send(threshold(1_000, at(12, 5)));
    expect(alerts.map((a) => [a.transactionId, a.cause])).to.deep.equal([['1', 'late_threshold']]);
    // Another late change that also covers transaction 1 does not alert for it again.
    send(threshold(900, at(12, 6)));
    expect(alerts.map((a) => a.transactionId)).to.deep.equal(['1']);
  });

  it('a late change does not re-judge transactions already governed by a later change', () => {
    const { send, alerted } = start();
    send(threshold(100_000, at(12)), txn(1, 50_000, at(12, 30)));
    send(threshold(1_000, at(11, 59))); // late, but superseded at 12:00 for transaction 1
    expect(alerted()).to.deep.equal([]);
  });

  it('compares amounts in the currency of the threshold only', () => {
    const { send, alerted } = start();
    send(threshold(1_000, at(12), 'EUR'), txn(1, 50_000, at(12, 1)), txn(2, 50_000, at(12, 2), { currency: 'EUR' }));
    expect(alerted()).to.deep.equal(['2']);
  });

  it('alerts at most once per transaction: redeliveries and a re-produced batch are dropped', () => {
    const { send, alerted } = start();
    send(threshold(1_000, at(12)));
    for (let round = 0; round < 3; round++) for (let id = 1; id <= 40; id++) send({ ...txn(id, 5_000, at(12, 0, id)), id: `txn-${id}` } as AccountEvent);
    expect(alerted()).to.have.length(40);
    expect(new Set(alerted()).size).to.equal(40);
  });

  it('an update that lifts a transaction above the threshold alerts once; a delete prevents alerts', () => {
    const { send, alerts } = start();
    send(threshold(1_000, at(12)), txn(1, 500, at(12, 1)), txn(2, 500, at(12, 2)));
    send(updated(1, 5_000, at(12, 1)), updated(1, 6_000, at(12, 1)));
    expect(alerts.map((a) => [a.transactionId, a.cause, a.amountCents])).to.deep.equal([['1', 'update', 5_000]]);
    send(deleted(2, at(12, 2)), threshold(100, at(11, 59)));
    expect(alerts.map((a) => a.transactionId)).to.deep.equal(['1']);
    send(txn(2, 9_000, at(12, 2))); // a redelivered insert of the deleted row
    expect(alerts.map((a) => a.transactionId)).to.deep.equal(['1']);
  });

  it('forgets what is past the lateness window and counts events behind it as late', () => {
    const { actor, send, alerted } = start();
    send(threshold(1_000, at(0)), txn(1, 500, at(1)));
    const dayLater = new Date(Date.parse(at(1)) + LATENESS_MS + 60_000).toISOString();
    send(txn(2, 500, dayLater));
    const ctx = actor.getSnapshot().context;
    expect(ctx.remembered.map((t) => t.transactionId)).to.deep.equal(['2']);
    // The threshold in effect at the horizon is kept: it still decides for new transactions.
    expect(ctx.changes.map((c) => c.amountCents)).to.deep.equal([1_000]);
    send(txn(3, 5_000, at(1, 0, 30)), threshold(1, at(0, 30)));
    expect(actor.getSnapshot().context.late).to.equal(2);
    expect(alerted()).to.deep.equal([]);
    send(txn(4, 5_000, dayLater));
    expect(alerted()).to.deep.equal(['4']);
  });

  it('keeps its snapshot bounded however many transactions a user makes', () => {
    const { actor, send, alerted } = start();
    send(threshold(1_000, at(0)));
    for (let i = 1; i <= MAX_REMEMBERED + 50; i++) send(txn(i, 5_000, new Date(Date.parse(at(1)) + i * 1_000).toISOString()));
    const ctx = actor.getSnapshot().context;
    expect(ctx.remembered).to.have.length(MAX_REMEMBERED);
    expect(alerted()).to.have.length(MAX_REMEMBERED + 50);
    // A redelivery of a forgotten transaction is behind the horizon: not judged again.
    send(txn(1, 5_000, new Date(Date.parse(at(1)) + 1_000).toISOString()));
    expect(alerted()).to.have.length(MAX_REMEMBERED + 50);
  });

  it('survives a persisted snapshot round trip without alerting twice', () => {
    const first = start();
    first.send(threshold(1_000, at(12)), txn(1, 5_000, at(12, 1)), txn(2, 500, at(12, 2)));
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    const again = start(persisted);
    again.send(txn(1, 5_000, at(12, 1)), threshold(100, at(11, 30)), txn(3, 5_000, at(12, 3)));
    expect(first.alerted()).to.deep.equal(['1']);
    expect(again.alerted()).to.deep.equal(['3']);
  });
});

// MyBank: the latest alerts, per user, with the threshold in effect.
import { el } from './api.js';
import { num, table, time } from './tables.js';

const money = (cents, currency) => (cents === null || cents === undefined ? '–' : `${(cents / 100).toFixed(2)} ${currency ?? ''}`.trim());

export function renderBank(body, data) {
  if (data.users.length === 0) return body.replaceChildren(el('p', { class: 'hint' }, 'no alerts yet'));
  body.replaceChildren(...data.users.flatMap((u) => [
    el('h3', {}, u.userId, el('span', { class: 'hint' }, u.threshold
      ? ` threshold ${u.threshold.amountCents === null ? 'cleared' : money(u.threshold.amountCents, u.threshold.currency)} since ${time(u.threshold.setAt)}`
      : ' no threshold set')),
    table(['When', 'Transaction', 'Amount', 'Merchant', 'Threshold then', 'Cause'],
      u.alerts.map((a) => [time(a.at), a.transactionId, num(money(a.amountCents, a.currency)), a.merchant ?? '–', num(money(a.thresholdCents, a.currency)), a.cause])),
  ]));
}

import { expect } from 'chai';
import { bankTopics } from '../../../config/bank.js';
import { COMMIT_STEPS, type CommitStep, SimulatedCrash } from '../../../src/host/CommitStep.js';
import { settle } from '../../support/settle.js';
import { waitFor } from '../../support/waitFor.js';
import { BankFixture, type BankProcess, type SourceRow, eventsOf, insertRows, readAll } from './bankFixture.js';

const USERS = 6;
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, second)).toISOString();

/**
 * Thresholds at 11:00 for every user, then 60 transactions from 12:00:00, then a LATE change that
 * lowers two users' thresholds from 12:00:30 (it may be processed before or after the transactions
 * it applies to). Only lowering changes: with them, "the threshold in effect at the transaction's
 * time decides" has one answer whatever the arrival order, so the expected alerts are exact.
 */
function workload() {
  const settings: Array<[string, Record<string, unknown>]> = [];
  const changes = new Map<string, Array<[number, number]>>();
  for (let u = 0; u < USERS; u++) {
    const userId = `user_${u}`;
    settings.push([userId, { id: `set-${u}`, type: 'bank.threshold_set', key: userId, at: '2026-01-01T11:00:00.000Z', userId, amountCents: 10_000 * (u + 1), currency: 'USD' }]);
    changes.set(userId, [[Date.parse('2026-01-01T11:00:00Z'), 10_000 * (u + 1)]]);
  }
  const late: Array<[string, Record<string, unknown>]> = [];
  for (const u of [0, 1]) {
    const userId = `user_${u}`;
    late.push([userId, { id: `lower-${u}`, type: 'bank.threshold_set', key: userId, at: at(30), userId, amountCents: 1_000, currency: 'USD' }]);
    changes.get(userId)!.push([Date.parse(at(30)), 1_000]);
  }
  const rows: SourceRow[] = [];
  const expected = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const userId = `user_${i % USERS}`;
    const amount = (i * 7_919) % 80_000;
    rows.push([userId, amount, 'USD', 'Acme', at(i)]);
    const inEffect = changes.get(userId)!.filter(([t]) => t <= Date.parse(at(i))).at(-1)!;
    if (amount > inEffect[1]) expected.add(`alert-${i + 1}`);
  }
  return { settings, late, rows, expected };
}

async function expectAlerts(f: BankFixture, p: BankProcess, expected: Set<string>) {
  const projected = Array.from({ length: USERS }, (_, u) => p.readModel.alerts(`user_${u}`, 100)).flat();
  expect(projected.map((a) => a.alertId).sort()).to.deep.equal([...expected].sort());
  // On the topic, an alert may be delivered twice after a crash, but only as the same event.
  const onTopic = eventsOf(await readAll(f.broker, bankTopics.userAlerts.name));
  expect(new Set(onTopic.map((e) => e.id))).to.deep.equal(expected);
  const byId = new Map<string, string>();
  for (const e of onTopic) {
    const body = JSON.stringify(e);
    expect(byId.get(e.id) ?? body, `alert ${e.id} delivered twice with different content`).to.equal(body);
    byId.set(e.id, body);
  }
}

describe('MyBank across crashes: each transaction alerts at most once', function () {
  this.timeout(60_000);

  async function feed(f: BankFixture, p: BankProcess, w: ReturnType<typeof workload>) {
    for (const [key, e] of w.settings) await f.produce(bankTopics.userSettings.name, key, e);
    insertRows(f.sourceFile, w.rows);
    const connector = p.connector({ batchSize: 25 });
    while ((await connector.poll()) > 0);
    await connector.stop();
    for (const [key, e] of w.late) await f.produce(bankTopics.userSettings.name, key, e);
  }

  it('alerts exactly for the transactions above the threshold in effect at their time', async () => {
    const f = new BankFixture();
    const p = await f.start();
    const w = workload();
    expect(w.expected.size).to.be.within(15, 45);
    await feed(f, p, w);
    await settle(p.runtime, f.broker, p.store);
    await expectAlerts(f, p, w.expected);
    await f.cleanup(p);
  });

  for (const step of COMMIT_STEPS) {
    for (const occurrence of [1, 3]) {
      it(`when the account host dies after '${step}' (batch ${occurrence})`, async () => {
        const f = new BankFixture();
        let hits = 0;
        const faults = (s: CommitStep, stage: string) => {
          if (s === step && stage === 'bank.account' && ++hits === occurrence) throw new SimulatedCrash(s);
        };
        const first = await f.start({ faults, maxBatchSize: 4 });
        const w = workload();
        await feed(f, first, w);
        const runner = first.runtime.stageRunners.find((r) => r.stage.name === 'bank.account')!;
        await Promise.race([runner.crashed, waitFor(() => hits >= occurrence, { timeoutMs: 20_000 })]);
        await runner.crashed;
        await first.runtime.kill();
        first.store.close();

        const second = await f.start();
        await settle(second.runtime, f.broker, second.store);
        await expectAlerts(f, second, w.expected);
        await f.cleanup(second);
      });
    }
  }

  it('when the connector dies between producing a batch and storing its position', async () => {
    const f = new BankFixture();
    const p = await f.start();
    const w = workload();
    for (const [key, e] of w.settings) await f.produce(bankTopics.userSettings.name, key, e);
    for (const [key, e] of w.late) await f.produce(bankTopics.userSettings.name, key, e);
    insertRows(f.sourceFile, w.rows);
    let batches = 0;
    const crashing = p.connector({ batchSize: 25, afterProduce: () => { if (++batches === 2) throw new Error('killed'); } });
    expect(await crashing.poll()).to.equal(25);
    await crashing.poll().then(() => expect.fail('should crash'), () => undefined);
    await crashing.stop();
    const restarted = p.connector({ batchSize: 25 });
    while ((await restarted.poll()) > 0);
    await restarted.stop();
    // Transactions 26–50 are on the topic twice, under the same ids.
    const txns = eventsOf(await readAll(f.broker, bankTopics.bankTransactions.name));
    expect(txns).to.have.length(85);
    expect(new Set(txns.map((e) => e.id)).size).to.equal(60);
    await settle(p.runtime, f.broker, p.store);
    await expectAlerts(f, p, w.expected);
    await f.cleanup(p);
  });
});

import { expect } from 'chai';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { DLQ_HEADERS } from '../../src/host/deadLetter.js';
import { Runtime } from '../../src/host/Runtime.js';
import { deadLetterTopic } from '../../src/host/topology.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { counterApp, counterTopics } from '../support/counterApp.js';
import { settle } from '../support/settle.js';

const at = '2026-01-01T12:00:00.000Z';
const PARTITIONS = counterTopics.input.partitions;

/** One key per partition of the counter topic. */
function keyPerPartition(): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < PARTITIONS; i++) {
    const key = `k${i}`;
    if (partitionForKey(key, PARTITIONS) === keys.length) keys.push(key);
  }
  return keys;
}

/** A backlog on every partition, then a runtime that starts on it. */
async function backlog(records: Array<[string, Record<string, unknown>]>) {
  const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
  const store = new SqliteStateStore(':memory:');
  const metrics = new Metrics();
  const runtime = new Runtime([counterApp()], {
    broker, store, metrics, clock: new SystemClock(), ids: seededIdSource(3), backoffMs: () => 1, maxAttempts: 2,
  });
  await runtime.ensureTopics();
  const producer = broker.producer();
  await producer.send(records.map(([key, event]) => ({ topic: counterTopics.input.name, key, value: JSON.stringify({ at, key, ...event }) })));
  await runtime.start();
  await settle(runtime, broker, store);
  const host = runtime.host('spec', 'counter');
  const total = (key: string) => (host.snapshotOf(key) as { context: { total: number } }).context.total;
  const commits = () => metrics.value('kastor_batch_duration_seconds', { stage: 'spec.counter' });
  return { broker, store, metrics, runtime, total, commits };
}

describe('group commit', function () {
  this.timeout(20_000);

  it('commits the batches every partition delivers in the same turn in one transaction', async () => {
    const keys = keyPerPartition();
    const s = await backlog(keys.flatMap((key, p) => [1, 2, 3].map((n): [string, Record<string, unknown>] =>
      [key, { id: `${key}-${n}`, type: 'counter.added', n: p * 10 + n }])));
    keys.forEach((key, p) => expect(s.total(key), key).to.equal(3 * p * 10 + 6));
    expect(s.metrics.value('kastor_events_in_total', { stage: 'spec.counter' })).to.equal(3 * PARTITIONS);
    expect(s.commits(), 'store transactions for 4 partitions').to.equal(1);
    await s.runtime.stop();
  });

  it('undoes a group that holds a poisoned record, commits its other batches, dead-letters the poison once', async () => {
    const keys = keyPerPartition();
    const s = await backlog([
      ...keys.map((key): [string, Record<string, unknown>] => [key, { id: `${key}-1`, type: 'counter.added', n: 1 }]),
      [keys[2], { id: 'poison', type: 'counter.poison' }],
      ...keys.map((key): [string, Record<string, unknown>] => [key, { id: `${key}-2`, type: 'counter.added', n: 10 }]),
    ]);
    // Every add counted once, in the poisoned partition too (before and after the poison).
    for (const key of keys) expect(s.total(key), key).to.equal(11);
    const dlq = deadLetterTopic('spec').name;
    const dead = s.broker.read({ topic: dlq, partition: partitionForKey(keys[2], (await s.broker.admin.describeTopic(dlq))!.partitions) });
    expect(dead.map((r) => r.headers[DLQ_HEADERS.reason])).to.have.length(1);
    expect(dead[0].headers[DLQ_HEADERS.reason]).to.include('poisoned');
    expect(s.metrics.value('kastor_dead_letters_total')).to.equal(1);
    const totals = PARTITIONS * 2;
    let emitted = 0;
    for (let p = 0; p < PARTITIONS; p++) emitted += s.broker.read({ topic: counterTopics.totals.name, partition: p }).length;
    expect(emitted, 'one total per add: nothing from the undone group leaked out').to.equal(totals);
    await s.runtime.stop();
  });
});

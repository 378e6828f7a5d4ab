import { expect } from 'chai';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import type { BrokerRecord } from '../../src/broker/Record.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { DLQ_HEADERS } from '../../src/host/deadLetter.js';
import { Runtime } from '../../src/host/Runtime.js';
import { deadLetterTopic } from '../../src/host/topology.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { counterApp, counterTopics } from '../support/counterApp.js';
import { settle } from '../support/settle.js';
import { waitFor } from '../support/waitFor.js';

const at = '2026-01-01T12:00:00.000Z';
const added = (id: string, key: string, n: number) => JSON.stringify({ id, type: 'counter.added', key, at, n });

async function setup(maxLiveActors?: number) {
  const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
  const store = new SqliteStateStore(':memory:');
  const metrics = new Metrics();
  const runtime = new Runtime([counterApp(maxLiveActors)], {
    broker, store, metrics, clock: new SystemClock(), ids: seededIdSource(7), backoffMs: () => 1, maxAttempts: 3,
  });
  await runtime.start();
  const producer = broker.producer();
  const send = (key: string | null, value: string | null) => producer.send([{ topic: counterTopics.input.name, key, value }]);
  const host = runtime.host('spec', 'counter');
  const total = (key: string) => (host.snapshotOf(key) as { context: { total: number } } | undefined)?.context.total;
  return { broker, store, metrics, runtime, send, host, total };
}

async function readAll(broker: MemoryBroker, topic: string): Promise<BrokerRecord[]> {
  const out: BrokerRecord[] = [];
  const d = await broker.admin.describeTopic(topic);
  for (let partition = 0; partition < d!.partitions; partition++) {
    const { high } = await broker.admin.watermarks({ topic, partition });
    if (high === 0) continue;
    const consumer = broker.consumer({ groupId: `reader-${topic}-${partition}-${Math.random()}`, topics: [topic] });
    const got: BrokerRecord[] = [];
    const sub = consumer.assignments.subscribe((ap) => {
      if (ap.partition !== partition) return;
      ap.batches({ offset: 0 }).subscribe((b) => { got.push(...b.records); b.ack(); });
    });
    await waitFor(() => got.length >= high);
    sub.unsubscribe();
    await consumer.close();
    out.push(...got);
  }
  return out;
}

describe('actor host', function () {
  this.timeout(20_000);

  it('sends a value that is not JSON, or fails its schema, to the dead-letter topic with the reason, and goes on', async () => {
    const s = await setup();
    await s.send('a', added('1', 'a', 1));
    await s.send('a', '{not json');
    await s.send('a', JSON.stringify({ id: '2', type: 'counter.added', key: 'a', at, n: 'two' }));
    await s.send(null, added('3', 'a', 1));
    await s.send('a', added('4', 'a', 5));
    await settle(s.runtime, s.broker, s.store);
    expect(s.total('a')).to.equal(6);
    const dead = await readAll(s.broker, deadLetterTopic('spec').name);
    expect(dead).to.have.length(3);
    const reasons = dead.map((r) => r.headers[DLQ_HEADERS.reason]);
    expect(reasons.some((r) => r.startsWith('value is not JSON'))).to.equal(true);
    expect(reasons.some((r) => r.includes('n: Invalid input: expected number'))).to.equal(true);
    expect(reasons.some((r) => r.includes('has no key'))).to.equal(true);
    expect(dead[0].headers[DLQ_HEADERS.topic]).to.equal(counterTopics.input.name);
    expect(Number(dead[0].headers[DLQ_HEADERS.offset])).to.be.a('number');
    expect(s.metrics.value('kastor_dead_letters_total')).to.equal(3);
    await s.runtime.stop();
  });

  it('retries a record that makes its actor fail, then dead-letters it; the actor and the partition go on', async () => {
    const s = await setup();
    await s.send('p', added('1', 'p', 1));
    await s.send('p', JSON.stringify({ id: '2', type: 'counter.poison', key: 'p', at }));
    await s.send('p', added('3', 'p', 10));
    await settle(s.runtime, s.broker, s.store);
    // The actor restarted from its snapshot: the event before the poison counted once, the one after too.
    expect(s.total('p')).to.equal(11);
    const dead = await readAll(s.broker, deadLetterTopic('spec').name);
    expect(dead).to.have.length(1);
    expect(dead[0].headers[DLQ_HEADERS.reason]).to.include('poisoned');
    expect(s.metrics.value('kastor_restarts_total')).to.be.at.least(2);
    await s.runtime.stop();
  });

  it('drops an event redelivered under the same id', async () => {
    const s = await setup();
    await s.send('d', added('same', 'd', 4));
    await s.send('d', added('same', 'd', 4));
    await s.send('d', added('other', 'd', 1));
    await settle(s.runtime, s.broker, s.store);
    expect(s.total('d')).to.equal(5);
    await s.runtime.stop();
  });

  it('keeps at most maxLiveActors in memory and rehydrates evicted actors from their snapshots', async () => {
    const s = await setup(10);
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 200; k++) await s.send(`k${k}`, added(`r${round}-${k}`, `k${k}`, k));
    }
    await settle(s.runtime, s.broker, s.store);
    expect(s.host.liveActors).to.be.at.most(10);
    for (let k = 0; k < 200; k++) expect(s.total(`k${k}`)).to.equal(3 * k);
    expect(s.metrics.value('kastor_passivations_total')).to.be.greaterThan(0);
    await s.runtime.stop();
  });

  it('emits what actors emit to their output topic, keyed by the entity, with ids', async () => {
    const s = await setup();
    await s.send('e', added('1', 'e', 2));
    await s.send('e', added('2', 'e', 3));
    await settle(s.runtime, s.broker, s.store);
    const totals = (await readAll(s.broker, counterTopics.totals.name)).map((r) => JSON.parse(r.value!));
    expect(totals.map((t) => t.total)).to.deep.equal([2, 5]);
    expect(totals.every((t) => t.key === 'e' && typeof t.id === 'string' && t.at === at)).to.equal(true);
    await s.runtime.stop();
  });
});

/** The kafka adapter's producer against a real broker: profiles, delivery reports, back-pressure. */
import { expect } from 'chai';
import { BrokerError } from '../../../src/broker/errors.js';
import { partitionForKey } from '../../../src/broker/murmur2.js';
import type { BrokerRecord, OutgoingRecord } from '../../../src/broker/Record.js';
import { GroupReader } from '../../support/GroupReader.js';
import { describeKafka } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';
import { KafkaFixture, unique, WAIT_MS } from './fixture.js';

describeKafka('kafka adapter: producer', function () {
  this.timeout(60_000);
  let fx: KafkaFixture;
  beforeEach(() => (fx = new KafkaFixture()));
  afterEach(() => fx.teardown());

  async function readAll(broker: ReturnType<KafkaFixture['broker']>, topic: string, count: number): Promise<BrokerRecord[]> {
    const reader = new GroupReader(broker.consumer({ groupId: unique('group'), topics: [topic] }));
    try {
      await waitFor(() => reader.records.length >= count, {
        timeoutMs: WAIT_MS,
        message: () => `${count} records, got ${reader.records.length}`,
      });
      expect(reader.errors).to.deep.equal([]);
      return reader.records;
    } finally {
      await reader.close();
    }
  }

  it('reliable: maps every delivery report back to its record (partition and offset of that very record)', async () => {
    const broker = fx.broker();
    const t = await fx.topic('reports', 4);
    const records: OutgoingRecord[] = Array.from({ length: 300 }, (_, i) => ({
      topic: t,
      key: i % 5 === 0 ? null : `user_${i % 17}`,
      value: `value-${i}`,
      ...(i % 7 === 0 ? { partition: 3 } : {}),
    }));
    const sent = await broker.producer().send(records);
    expect(sent).to.have.length(records.length);
    const next = new Map<number, number>();
    sent.forEach((meta, i) => {
      const r = records[i];
      if (r.partition !== undefined) expect(meta.partition).to.equal(r.partition);
      else if (r.key !== null) expect(meta.partition).to.equal(partitionForKey(r.key, 4));
      // Offsets rise in send order per partition, without gaps.
      expect(meta.offset).to.equal(next.get(meta.partition) ?? 0);
      next.set(meta.partition, meta.offset + 1);
    });
    const read = await readAll(broker, t, records.length);
    const at = new Map(read.map((r) => [`${r.partition}@${r.offset}`, r.value]));
    sent.forEach((meta, i) => expect(at.get(`${meta.partition}@${meta.offset}`)).to.equal(records[i].value));
  });

  it('reliable: concurrent sends each resolve with their own records', async () => {
    const broker = fx.broker();
    const t = await fx.topic('concurrent', 3);
    const producer = broker.producer();
    const sends = Array.from({ length: 10 }, (_, s) =>
      producer.send(Array.from({ length: 20 }, (_, i) => ({ topic: t, key: `k${s}`, value: `${s}:${i}` }))),
    );
    const results = await Promise.all(sends);
    results.forEach((sent, s) => {
      expect(sent).to.have.length(20);
      expect(new Set(sent.map((m) => m.partition))).to.deep.equal(new Set([partitionForKey(`k${s}`, 3)]));
    });
    const offsets = results.flat().map((m) => `${m.partition}@${m.offset}`);
    expect(new Set(offsets).size).to.equal(200);
  });

  it('waits out a full local queue (QUEUE_FULL) instead of failing the send', async () => {
    const broker = fx.broker({ librdkafka: { 'queue.buffering.max.messages': 20 } });
    const t = await fx.topic('queuefull', 2);
    const sent = await broker.producer().send(
      Array.from({ length: 1_000 }, (_, i) => ({ topic: t, key: `k${i}`, value: `${i}` })),
    );
    expect(sent.every((m) => m.offset >= 0)).to.equal(true);
    const [a, b] = await Promise.all([0, 1].map((partition) => broker.admin.watermarks({ topic: t, partition })));
    expect(a.high + b.high).to.equal(1_000);
  });

  it('fire-and-forget: resolves once queued, with -1 offsets and the partition a keyed record goes to', async () => {
    const broker = fx.broker();
    const t = await fx.topic('faf', 5);
    const producer = broker.producer({ profile: 'fire-and-forget' });
    const records = Array.from({ length: 500 }, (_, i) => ({ topic: t, key: `sensor_${i % 31}`, value: `${i}` }));
    const sent = await producer.send(records);
    expect(sent.every((m) => m.offset === -1)).to.equal(true);
    sent.forEach((m, i) => expect(m.partition).to.equal(partitionForKey(records[i].key, 5)));
    await producer.flush();
    const expected = new Map<number, number>();
    for (const m of sent) expected.set(m.partition, (expected.get(m.partition) ?? 0) + 1);
    await waitFor(
      async () => {
        for (let partition = 0; partition < 5; partition++) {
          const { high } = await broker.admin.watermarks({ topic: t, partition });
          if (high !== (expected.get(partition) ?? 0)) return false;
        }
        return true;
      },
      { timeoutMs: WAIT_MS, message: 'every fire-and-forget record on its partition' },
    );
  });

  it('rejects a record librdkafka refuses with a non-retriable BrokerError that keeps the cause', async () => {
    const broker = fx.broker();
    const t = await fx.topic('toolarge', 1);
    const error = await broker
      .producer()
      .send([{ topic: t, key: 'k', value: 'x'.repeat(2_000_000) }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(BrokerError);
    expect((error as BrokerError).retriable).to.equal(false);
    expect((error as BrokerError).message).to.match(/produce to/);
    expect((error as BrokerError).cause).to.have.property('code');
  });

  it('flush resolves once everything queued is sent; close is idempotent', async () => {
    const broker = fx.broker();
    const t = await fx.topic('flush', 1);
    const producer = broker.producer({ profile: 'fire-and-forget' });
    await producer.send(Array.from({ length: 100 }, (_, i) => ({ topic: t, key: null, value: `${i}` })));
    await producer.flush();
    // acks=0: "sent" is all the broker promises; the append shows up shortly after.
    await waitFor(async () => (await broker.admin.watermarks({ topic: t, partition: 0 })).high === 100, {
      timeoutMs: WAIT_MS,
      message: '100 records in the log',
    });
    const closing = producer.close();
    expect(producer.close()).to.equal(closing);
    await closing;
  });
});

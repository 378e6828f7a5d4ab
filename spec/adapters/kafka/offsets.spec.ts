/**
 * Where the kafka adapter's consumer starts a partition: an exact offset (SQLite's, in the
 * runtime), the group's committed offset, or `autoOffsetReset`, whether `batches()` is subscribed
 * right when the partition is assigned or later (then the adapter seeks).
 */
import { expect } from 'chai';
import { firstValueFrom } from 'rxjs';
import type { AssignedPartition, StartPosition } from '../../../src/broker/Broker.js';
import { GroupReader } from '../../support/GroupReader.js';
import { describeKafka } from '../../support/kafka.js';
import { collect, waitFor } from '../../support/waitFor.js';
import { KafkaFixture, unique, WAIT_MS } from './fixture.js';

describeKafka('kafka adapter: consumer offsets', function () {
  this.timeout(60_000);
  let fx: KafkaFixture;
  beforeEach(() => (fx = new KafkaFixture()));
  afterEach(() => fx.teardown());

  async function filledTopic(records: number): Promise<string> {
    const t = await fx.topic('offsets', 1);
    await fx
      .broker()
      .producer()
      .send(Array.from({ length: records }, (_, i) => ({ topic: t, key: 'k', value: `${i}` })));
    return t;
  }

  /** The partition's first batch when `batches(start)` is subscribed only after the assignment arrived. */
  async function firstOffsetsLate(t: string, group: string, start: StartPosition, reset?: 'earliest' | 'latest'): Promise<number[]> {
    const consumer = fx.broker().consumer({ groupId: group, topics: [t], autoOffsetReset: reset });
    const assigned: AssignedPartition = await firstValueFrom(consumer.assignments);
    // Give librdkafka every chance to fetch before the late start (from a witness's view: a full read).
    const witness = new GroupReader(fx.broker().consumer({ groupId: unique('witness'), topics: [t] }));
    await waitFor(() => witness.records.length === 10, { timeoutMs: WAIT_MS, message: 'the witness to read 10 records' });
    await witness.close();
    const batches = collect(assigned.batches(start));
    await waitFor(() => batches.items.length > 0 || batches.done, { timeoutMs: WAIT_MS, message: 'a first batch' });
    expect(batches.error).to.equal(undefined);
    const offsets = batches.items[0].records.map((r) => r.offset);
    batches.items[0].ack();
    batches.subscription.unsubscribe();
    await consumer.close();
    return offsets;
  }

  it('seeks to an exact offset when batches() is subscribed after the assignment', async () => {
    const t = await filledTopic(10);
    expect(await firstOffsetsLate(t, unique('group'), { offset: 7 })).to.deep.equal([7, 8, 9]);
  });

  it("starts at the offset committed by the time batches('committed') is subscribed", async () => {
    const t = await filledTopic(10);
    const group = unique('group');
    const consumer = fx.broker().consumer({ groupId: group, topics: [t] });
    const assigned = await firstValueFrom(consumer.assignments);
    await consumer.commit([{ topic: t, partition: 0, offset: 6 }]);
    const batches = collect(assigned.batches('committed'));
    await waitFor(() => batches.items.length > 0, { timeoutMs: WAIT_MS, message: 'a first batch' });
    expect(batches.items[0].records[0].offset).to.equal(6);
    batches.items[0].ack();
    batches.subscription.unsubscribe();
    await consumer.close();
  });

  it("starts a late 'committed' partition without a committed offset per autoOffsetReset", async () => {
    const t = await filledTopic(10);
    expect((await firstOffsetsLate(t, unique('group'), 'committed', 'earliest'))[0]).to.equal(0);
  });

  it('falls back to autoOffsetReset when a late exact offset is out of range', async () => {
    const t = await filledTopic(10);
    expect((await firstOffsetsLate(t, unique('group'), { offset: 1_000 }))[0]).to.equal(0);
  });

  it('falls back to autoOffsetReset when the exact offset is out of range', async () => {
    const t = await filledTopic(10);
    const reader = new GroupReader(fx.broker().consumer({ groupId: unique('group'), topics: [t] }), {
      start: () => ({ offset: 1_000 }),
    });
    await waitFor(() => reader.records.length === 10, { timeoutMs: WAIT_MS, message: () => `10 records, got ${reader.records.length}` });
    expect(reader.offsets({ topic: t, partition: 0 })).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await reader.close();
  });

  it("reads only new records with autoOffsetReset 'latest' on a fresh group", async () => {
    const t = await filledTopic(10);
    const broker = fx.broker();
    const reader = new GroupReader(broker.consumer({ groupId: unique('group'), topics: [t], autoOffsetReset: 'latest' }));
    await waitFor(() => reader.held().length === 1, { timeoutMs: WAIT_MS, message: 'the assignment' });
    // The end offset is looked up after the assignment: send until the reader sees something.
    const producer = broker.producer();
    let sent = 0;
    await waitFor(
      async () => {
        if (reader.records.length > 0) return true;
        await producer.send([{ topic: t, key: 'k', value: `new-${sent++}` }]);
        return false;
      },
      { timeoutMs: WAIT_MS, message: 'a new record to arrive' },
    );
    expect(reader.records.every((r) => r.value!.startsWith('new-'))).to.equal(true);
    await reader.close();
  });

  it('commits next offsets to the group and reads them back', async () => {
    const t = await fx.topic('committed', 3);
    const consumer = fx.broker().consumer({ groupId: unique('group'), topics: [t] });
    await consumer.commit([
      { topic: t, partition: 0, offset: 3 },
      { topic: t, partition: 2, offset: 11 },
    ]);
    await consumer.commit([{ topic: t, partition: 0, offset: 4 }]);
    const committed = await consumer.committed([0, 1, 2].map((partition) => ({ topic: t, partition })));
    expect(committed).to.deep.equal([
      { topic: t, partition: 0, offset: 4 },
      { topic: t, partition: 2, offset: 11 },
    ]);
    await consumer.close();
  });
});

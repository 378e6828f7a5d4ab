import { expect } from 'chai';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { BrokerError } from '../../../src/broker/errors.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { ManualScheduler, offsetsOf, readAssignments } from './fixtures.js';

const DAY = 86_400_000;

describe('memory broker: compaction', () => {
  let clock: VirtualClock;
  let scheduler: ManualScheduler;
  let broker: MemoryBroker;

  beforeEach(async () => {
    clock = new VirtualClock('2024-03-01T12:00:00Z');
    scheduler = new ManualScheduler();
    broker = new MemoryBroker({ clock, schedule: scheduler.schedule, maintenanceIntervalMs: 0 });
    await broker.admin.createTopics([
      { name: 'accounts', partitions: 1, replicationFactor: 1, cleanupPolicy: 'compact' },
    ]);
  });

  afterEach(() => broker.close());

  const send = (pairs: [string, string | null][]) =>
    broker.producer().send(pairs.map(([key, value]) => ({ topic: 'accounts', key, value })));
  const log = () => broker.read({ topic: 'accounts', partition: 0 }).map((r) => [r.offset, r.key, r.value]);

  it('keeps the latest record of each key, at its original offset', async () => {
    await send([
      ['a', '1'],
      ['b', '1'],
      ['a', '2'],
      ['c', '1'],
      ['b', '2'],
      ['a', '3'],
    ]);
    expect(broker.maintain()).to.deep.equal({ removedRecords: 3, changedPartitions: 1 });
    expect(log()).to.deep.equal([
      [3, 'c', '1'],
      [4, 'b', '2'],
      [5, 'a', '3'],
    ]);
    // As in Kafka, compaction moves neither watermark: a reader in a gap just goes on.
    expect(await broker.admin.watermarks({ topic: 'accounts', partition: 0 })).to.deep.equal({ low: 0, high: 6 });
    await send([['d', '1']]);
    expect(log().map(([offset]) => offset)).to.deep.equal([3, 4, 5, 6]);
  });

  it('reads on from the next record kept when a start offset fell into a gap', async () => {
    await send([
      ['a', '1'],
      ['a', '2'],
      ['a', '3'],
      ['b', '1'],
    ]);
    broker.maintain();
    const consumer = broker.consumer({ groupId: 'g', topics: ['accounts'] });
    const readings = readAssignments(consumer, { offset: 1 });
    await scheduler.run();
    expect(offsetsOf(readings[0].batches)).to.deep.equal([2, 3]);
  });

  it('keeps a tombstone for delete.retention.ms, then drops it with the history it deleted', async () => {
    await broker.admin.createTopics([
      {
        name: 'sessions',
        partitions: 1,
        replicationFactor: 1,
        cleanupPolicy: 'compact',
        config: { 'delete.retention.ms': String(DAY) },
      },
    ]);
    await broker.producer().send([
      { topic: 'sessions', key: 'u1', value: 'open' },
      { topic: 'sessions', key: 'u2', value: 'open' },
      { topic: 'sessions', key: 'u1', value: null },
    ]);
    broker.maintain();
    expect(broker.read({ topic: 'sessions', partition: 0 }).map((r) => [r.key, r.value])).to.deep.equal([
      ['u2', 'open'],
      ['u1', null],
    ]);
    clock.advance(DAY + 1);
    broker.maintain();
    expect(broker.read({ topic: 'sessions', partition: 0 }).map((r) => r.key)).to.deep.equal(['u2']);
  });

  it("applies both retention and compaction with 'compact,delete'", async () => {
    await broker.admin.createTopics([
      { name: 'both', partitions: 1, replicationFactor: 1, cleanupPolicy: 'compact,delete', retentionMs: 1000 },
    ]);
    const p = broker.producer();
    await p.send([{ topic: 'both', key: 'old', value: '1' }]);
    clock.advance(2000);
    await p.send([
      { topic: 'both', key: 'k', value: '1' },
      { topic: 'both', key: 'k', value: '2' },
    ]);
    broker.maintain();
    expect(broker.read({ topic: 'both', partition: 0 }).map((r) => [r.offset, r.value])).to.deep.equal([[2, '2']]);
    expect(await broker.admin.watermarks({ topic: 'both', partition: 0 })).to.deep.equal({ low: 1, high: 3 });
  });

  it('ignores retention on a compact-only topic', async () => {
    await send([['a', '1']]);
    clock.advance(365 * DAY);
    expect(broker.maintain().removedRecords).to.equal(0);
  });

  it('refuses a record without key, as Kafka does for compacted topics', async () => {
    const error = await broker
      .producer()
      .send([{ topic: 'accounts', key: null, value: 'v' }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(BrokerError);
    expect(String(error)).to.match(/without key/);
  });
});

import { expect } from 'chai';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { ManualScheduler, offsetsOf, readAssignments } from './fixtures.js';

const HOUR = 3_600_000;

describe('memory broker: retention', () => {
  let clock: VirtualClock;
  let scheduler: ManualScheduler;
  let broker: MemoryBroker;

  beforeEach(() => {
    clock = new VirtualClock('2024-03-01T12:00:00Z');
    scheduler = new ManualScheduler();
    broker = new MemoryBroker({ clock, schedule: scheduler.schedule, maintenanceIntervalMs: 0 });
  });

  afterEach(() => broker.close());

  async function sendAt(topic: string, values: string[]): Promise<void> {
    await broker.producer().send(values.map((value) => ({ topic, partition: 0, key: value, value })));
  }

  it('drops records older than retention.ms from the head and moves the low watermark', async () => {
    await broker.admin.createTopics([{ name: 'positions', partitions: 1, replicationFactor: 1, retentionMs: HOUR }]);
    await sendAt('positions', ['a', 'b']);
    clock.advance(30 * 60_000);
    await sendAt('positions', ['c']);
    clock.advance(31 * 60_000);

    expect(broker.maintain()).to.deep.equal({ removedRecords: 2, changedPartitions: 1 });
    expect(await broker.admin.watermarks({ topic: 'positions', partition: 0 })).to.deep.equal({ low: 2, high: 3 });
    expect(broker.read({ topic: 'positions', partition: 0 }).map((r) => r.value)).to.deep.equal(['c']);

    clock.advance(HOUR);
    broker.maintain();
    expect(await broker.admin.watermarks({ topic: 'positions', partition: 0 })).to.deep.equal({ low: 3, high: 3 });
    await sendAt('positions', ['d']);
    expect(broker.read({ topic: 'positions', partition: 0 }).map((r) => r.offset)).to.deep.equal([3]);
  });

  it('deletes from the oldest end only: an old timestamp behind a newer record stays', async () => {
    await broker.admin.createTopics([{ name: 'late', partitions: 1, replicationFactor: 1, retentionMs: HOUR }]);
    const now = clock.now();
    await broker.producer().send([
      { topic: 'late', key: 'a', value: 'new', timestamp: now },
      { topic: 'late', key: 'b', value: 'old', timestamp: now - 5 * HOUR },
    ]);
    expect(broker.maintain().removedRecords).to.equal(0);
  });

  it('keeps everything with retention -1, and by default for 7 days as Kafka', async () => {
    await broker.admin.createTopics([
      { name: 'forever', partitions: 1, replicationFactor: 1, retentionMs: -1 },
      { name: 'default', partitions: 1, replicationFactor: 1 },
    ]);
    expect((await broker.admin.describeTopic('default'))!.config['retention.ms']).to.equal('604800000');
    await sendAt('forever', ['a']);
    await sendAt('default', ['a']);
    clock.advance(7 * 24 * HOUR - 1);
    broker.maintain();
    expect(broker.read({ topic: 'default', partition: 0 })).to.have.length(1);
    clock.advance(2);
    broker.maintain();
    expect(broker.read({ topic: 'default', partition: 0 })).to.have.length(0);
    expect(broker.read({ topic: 'forever', partition: 0 })).to.have.length(1);
  });

  it('takes retention.ms from the topic config when the spec has no retentionMs', async () => {
    await broker.admin.createTopics([
      { name: 'cfg', partitions: 1, replicationFactor: 1, config: { 'retention.ms': '1000' } },
    ]);
    await sendAt('cfg', ['a']);
    clock.advance(1001);
    expect(broker.maintain().removedRecords).to.equal(1);
  });

  it('runs maintenance on the clock every maintenanceIntervalMs', async () => {
    const timed = new MemoryBroker({ clock, schedule: scheduler.schedule, maintenanceIntervalMs: 60_000 });
    await timed.admin.createTopics([{ name: 'ticks', partitions: 1, replicationFactor: 1, retentionMs: 1000 }]);
    await timed.producer().send([{ topic: 'ticks', key: 'k', value: 'v' }]);
    clock.advance(59_999);
    expect(timed.read({ topic: 'ticks', partition: 0 })).to.have.length(1);
    clock.advance(1);
    expect(timed.read({ topic: 'ticks', partition: 0 })).to.have.length(0);
    expect(clock.pendingTimers).to.equal(1);
    await timed.close();
    expect(clock.pendingTimers).to.equal(0);
  });

  it('sets no timer with maintenanceIntervalMs 0', () => {
    expect(clock.pendingTimers).to.equal(0);
  });

  it('moves a reader that fell behind the low watermark to the earliest record left', async () => {
    await broker.admin.createTopics([{ name: 'lagging', partitions: 1, replicationFactor: 1, retentionMs: HOUR }]);
    await sendAt('lagging', ['a', 'b', 'c', 'd']);
    const consumer = broker.consumer({ groupId: 'g', topics: ['lagging'], maxBatchSize: 1 });
    const readings = readAssignments(consumer);
    await scheduler.run();
    const [reading] = readings;
    expect(offsetsOf(reading.batches)).to.deep.equal([0]);

    clock.advance(2 * HOUR);
    await sendAt('lagging', ['e']);
    broker.maintain();
    reading.batches[0].ack();
    await scheduler.run();
    expect(offsetsOf(reading.batches)).to.deep.equal([0, 4]);
  });
});

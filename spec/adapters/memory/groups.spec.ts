import { expect } from 'chai';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import type { AssignedPartition } from '../../../src/broker/Broker.js';
import { BrokerError } from '../../../src/broker/errors.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { ManualScheduler, offsetsOf, readAssignments } from './fixtures.js';

describe('memory broker: consumer groups', () => {
  let clock: VirtualClock;
  let scheduler: ManualScheduler;
  let broker: MemoryBroker;

  beforeEach(async () => {
    clock = new VirtualClock('2024-03-01T12:00:00Z');
    scheduler = new ManualScheduler();
    broker = new MemoryBroker({
      clock,
      schedule: scheduler.schedule,
      maintenanceIntervalMs: 0,
      rebalanceTimeoutMs: 10_000,
      closeTimeoutMs: 5_000,
    });
    await broker.admin.createTopics([
      { name: 'rides', partitions: 7, replicationFactor: 1 },
      { name: 'taxis', partitions: 2, replicationFactor: 1 },
    ]);
  });

  afterEach(() => broker.close());

  const held = (readings: { partition: AssignedPartition; completed: boolean }[]): string[] =>
    readings.filter((r) => !r.completed).map((r) => `${r.partition.topic}/${r.partition.partition}`);

  it("assigns with Kafka's RangeAssignor over members sorted by member id", async () => {
    const members = ['c', 'a', 'b'].map((clientId) =>
      broker.consumer({ groupId: 'g', topics: ['rides', 'taxis'], clientId }),
    );
    const readings = members.map((m) => readAssignments(m));
    await scheduler.run();
    // Member ids start with the client id: a < b < c. 7 partitions over 3: 3, 2, 2; 2 over 3: 1, 1, 0.
    expect(held(readings[1])).to.deep.equal(['rides/0', 'rides/1', 'rides/2', 'taxis/0']);
    expect(held(readings[2])).to.deep.equal(['rides/3', 'rides/4', 'taxis/1']);
    expect(held(readings[0])).to.deep.equal(['rides/5', 'rides/6']);
  });

  it('joins outside the caller: nothing is assigned before the scheduler runs', async () => {
    const consumer = broker.consumer({ groupId: 'g', topics: ['taxis'] });
    const readings = readAssignments(consumer);
    expect(readings).to.have.length(0);
    await scheduler.run();
    expect(held(readings)).to.deep.equal(['taxis/0', 'taxis/1']);
  });

  it('never delivers inside send(): records wait for the scheduler', async () => {
    const readings = readAssignments(broker.consumer({ groupId: 'g', topics: ['taxis'] }));
    await scheduler.run();
    await broker.producer().send([{ topic: 'taxis', partition: 0, key: 'taxi_1', value: 'v' }]);
    expect(readings[0].batches).to.have.length(0);
    expect(scheduler.pending).to.equal(1);
    await scheduler.run();
    expect(offsetsOf(readings[0].batches)).to.deep.equal([0]);
  });

  it('revokes eagerly: the new member gets nothing until every batch in flight is acked', async () => {
    await broker.producer().send([{ topic: 'taxis', partition: 0, key: 'k', value: 'v' }]);
    const first = readAssignments(broker.consumer({ groupId: 'g', topics: ['taxis'], clientId: 'a' }));
    await scheduler.run();
    expect(first[0].batches).to.have.length(1);

    const second = readAssignments(broker.consumer({ groupId: 'g', topics: ['taxis'], clientId: 'b' }));
    await scheduler.run();
    // taxis/1 had nothing in flight and is revoked; taxis/0 waits for its ack.
    expect(held(first)).to.deep.equal(['taxis/0']);
    expect(second).to.have.length(0);

    first[0].batches[0].ack();
    await scheduler.run();
    expect(first.slice(0, 2).every((r) => r.completed)).to.equal(true);
    expect(held(first)).to.deep.equal(['taxis/0']);
    expect(held(second)).to.deep.equal(['taxis/1']);
  });

  it('expels a member that holds a batch past the rebalance timeout', async () => {
    await broker.producer().send([{ topic: 'taxis', partition: 0, key: 'k', value: 'v' }]);
    const stuck = broker.consumer({ groupId: 'g', topics: ['taxis'], clientId: 'a' });
    let assignmentsError: unknown;
    stuck.assignments.subscribe({ error: (e: unknown) => (assignmentsError = e) });
    const first = readAssignments(stuck);
    await scheduler.run();
    const second = readAssignments(broker.consumer({ groupId: 'g', topics: ['taxis'], clientId: 'b' }));
    await scheduler.run();
    expect(second).to.have.length(0);

    clock.advance(10_000);
    await scheduler.run();
    expect(assignmentsError).to.be.instanceOf(BrokerError);
    expect(first[0].error).to.be.instanceOf(BrokerError);
    expect(held(second)).to.deep.equal(['taxis/0', 'taxis/1']);
    expect(
      await stuck.commit([]).then(
        () => 'ok',
        (e: unknown) => e,
      ),
    ).to.be.instanceOf(BrokerError);
  });

  it('lets close wait for the batch in flight, within closeTimeoutMs', async () => {
    await broker.producer().send([{ topic: 'taxis', partition: 0, key: 'k', value: 'v' }]);
    const consumer = broker.consumer({ groupId: 'g', topics: ['taxis'] });
    const readings = readAssignments(consumer);
    await scheduler.run();
    let closed = false;
    const closing = consumer.close().then(() => (closed = true));
    await scheduler.run();
    expect(closed).to.equal(false);
    expect(held(readings)).to.deep.equal(['taxis/0']);
    // The owner may still commit what it finished before it lets go.
    await consumer.commit([{ topic: 'taxis', partition: 0, offset: 1 }]);
    readings[0].batches[0].ack();
    await scheduler.run();
    await closing;
    expect(held(readings)).to.deep.equal([]);

    const impatient = broker.consumer({ groupId: 'h', topics: ['taxis'] });
    const late = readAssignments(impatient);
    await scheduler.run();
    const gone = impatient.close();
    clock.advance(5_000);
    await gone;
    expect(late[0].error).to.be.instanceOf(BrokerError);
  });

  it('revokes the partitions of a deleted topic and forgets its committed offsets', async () => {
    const consumer = broker.consumer({ groupId: 'g', topics: ['rides', 'taxis'] });
    const readings = readAssignments(consumer);
    await scheduler.run();
    await consumer.commit([{ topic: 'taxis', partition: 1, offset: 0 }]);
    await broker.admin.deleteTopics(['taxis']);
    await scheduler.run();
    expect(held(readings)).to.have.length(7);
    expect(held(readings).every((k) => k.startsWith('rides/'))).to.equal(true);
    expect(await consumer.committed([{ topic: 'taxis', partition: 1 }])).to.deep.equal([]);
  });

  it('hands a late subscriber of assignments the partitions held now', async () => {
    const consumer = broker.consumer({ groupId: 'g', topics: ['taxis'] });
    await scheduler.run();
    const late = readAssignments(consumer);
    expect(held(late)).to.deep.equal(['taxis/0', 'taxis/1']);
  });

  it('refuses a second subscription to the batches of one assignment', async () => {
    const consumer = broker.consumer({ groupId: 'g', topics: ['taxis'] });
    const readings = readAssignments(consumer);
    await scheduler.run();
    let error: unknown;
    readings[0].partition.batches('committed').subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(BrokerError);
  });

  it('cuts batches at maxBatchSize and defaults to 500', async () => {
    await broker
      .producer()
      .send(Array.from({ length: 1201 }, (_, i) => ({ topic: 'taxis', partition: 0, key: `${i}`, value: 'v' })));
    const readings = readAssignments(broker.consumer({ groupId: 'g', topics: ['taxis'] }));
    await scheduler.run();
    const p0 = readings.find((r) => r.partition.partition === 0)!;
    for (let i = 0; i < 3; i++) {
      p0.batches[i].ack();
      await scheduler.run();
    }
    expect(p0.batches.map((b) => b.records.length)).to.deep.equal([500, 500, 201]);
  });
});

describe('memory broker: start positions', () => {
  let clock: VirtualClock;
  let scheduler: ManualScheduler;
  let broker: MemoryBroker;
  let groups = 0;

  beforeEach(async () => {
    clock = new VirtualClock(0);
    scheduler = new ManualScheduler();
    broker = new MemoryBroker({ clock, schedule: scheduler.schedule, maintenanceIntervalMs: 0 });
    await broker.admin.createTopics([{ name: 'views', partitions: 1, replicationFactor: 1 }]);
    await broker.producer().send([0, 1, 2].map((i) => ({ topic: 'views', key: 'k', value: `${i}` })));
  });

  afterEach(() => broker.close());

  async function firstOffsets(options: {
    reset?: 'earliest' | 'latest';
    start?: { offset: number } | 'committed';
    commit?: number;
  }) {
    const consumer = broker.consumer({ groupId: `g${++groups}`, topics: ['views'], autoOffsetReset: options.reset });
    if (options.commit !== undefined) await consumer.commit([{ topic: 'views', partition: 0, offset: options.commit }]);
    const readings = readAssignments(consumer, options.start ?? 'committed');
    await scheduler.run();
    await broker.producer().send([{ topic: 'views', key: 'k', value: 'new' }]);
    await scheduler.run();
    return offsetsOf(readings[0].batches);
  }

  it("starts a fresh group at the earliest record by default, at the next one with 'latest'", async () => {
    expect(await firstOffsets({})).to.deep.equal([0, 1, 2]);
    expect(await firstOffsets({ reset: 'latest' })).to.deep.equal([4]);
  });

  it('resets an offset past the high watermark per autoOffsetReset', async () => {
    expect(await firstOffsets({ start: { offset: 99 } })).to.deep.equal([0, 1, 2]);
    expect(await firstOffsets({ start: { offset: 99 }, reset: 'latest' })).to.deep.equal([4]);
  });

  it('starts at the high watermark itself without a reset, with the next record', async () => {
    expect(await firstOffsets({ start: { offset: 3 } })).to.deep.equal([3]);
  });

  it('resets a committed offset below the low watermark', async () => {
    await broker.admin.createTopics([{ name: 'short', partitions: 1, replicationFactor: 1, retentionMs: 0 }]);
    const p = broker.producer();
    await p.send([{ topic: 'short', key: 'k', value: 'old' }]);
    clock.advance(1);
    broker.maintain();
    await p.send([{ topic: 'short', key: 'k', value: 'kept' }]);
    const consumer = broker.consumer({ groupId: 'low', topics: ['short'] });
    await consumer.commit([{ topic: 'short', partition: 0, offset: 0 }]);
    const readings = readAssignments(consumer);
    await scheduler.run();
    expect(offsetsOf(readings[0].batches)).to.deep.equal([1]);
  });
});

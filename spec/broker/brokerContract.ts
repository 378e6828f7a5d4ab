/**
 * The broker CONTRACT: what every adapter of the broker port (`src/broker/Broker.ts`) must do, run
 * by `memory.contract.spec.ts` on a fresh MemoryBroker and by the Kafka specs against a real broker.
 *
 * Rules that keep it runnable on a real cluster: only the port is used; every test makes its own
 * topics and groups (`contract.t<random>.<what>`); waits are bounded conditions (`waitFor`), never
 * sleeps, with deadlines a real broker meets (group joins take seconds there); `createTopics` is
 * taken to return once the topics can be used.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Broker, GroupConsumer, Producer, RecordBatch, TopicSpec } from '../../src/broker/Broker.js';
import { InvalidTopicSpec, ProducerClosed, UnknownPartition, UnknownTopic } from '../../src/broker/errors.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import type { BrokerRecord, OutgoingRecord } from '../../src/broker/Record.js';
import { GroupReader, type GroupReaderOptions } from '../support/GroupReader.js';
import { collect, waitFor } from '../support/waitFor.js';

export interface BrokerFixture {
  readonly broker: Broker;
  teardown(): Promise<void>;
}

/** Deadline of every wait in the suite. */
const WAIT_MS = 30_000;

const unique = (what: string): string => `contract.t${randomBytes(5).toString('hex')}.${what}`;

/** The error a promise rejects with; fails if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected a rejection');
}

const keyOf = (r: BrokerRecord): string => `${r.topic}/${r.partition}@${r.offset}`;

export function brokerContract(name: string, setup: () => Promise<BrokerFixture>): void {
  describe(`broker contract: ${name}`, function () {
    this.timeout(60_000);
    let fixture: BrokerFixture;
    let broker: Broker;
    let topicsMade: string[] = [];
    let readers: GroupReader[] = [];
    let clients: (Producer | GroupConsumer)[] = [];

    before(async () => {
      fixture = await setup();
      broker = fixture.broker;
    });

    after(async () => {
      await fixture?.teardown();
    });

    afterEach(async () => {
      await Promise.all(readers.map((r) => r.close()));
      await Promise.all(clients.map((c) => c.close()));
      const existing = new Set((await broker.admin.listTopics()).map((t) => t.name));
      const leftover = topicsMade.filter((t) => existing.has(t));
      if (leftover.length > 0) await broker.admin.deleteTopics(leftover);
      topicsMade = [];
      readers = [];
      clients = [];
    });

    /** A fresh topic, deleted after the test. */
    async function topic(what: string, partitions: number, extra: Partial<TopicSpec> = {}): Promise<string> {
      const name = unique(what);
      await broker.admin.createTopics([{ name, partitions, replicationFactor: 1, ...extra }]);
      topicsMade.push(name);
      return name;
    }

    function producer(profile: 'reliable' | 'fire-and-forget' = 'reliable'): Producer {
      const p = broker.producer({ profile, clientId: 'contract' });
      clients.push(p);
      return p;
    }

    function reader(
      groupId: string,
      topics: string[],
      options: GroupReaderOptions & { maxBatchSize?: number } = {},
    ): GroupReader {
      const consumer = broker.consumer({ groupId, topics, clientId: 'contract', maxBatchSize: options.maxBatchSize });
      const r = new GroupReader(consumer, options);
      readers.push(r);
      return r;
    }

    const allPartitions = (t: string, n: number): string[] => Array.from({ length: n }, (_, p) => `${t}/${p}`).sort();

    async function sendValues(t: string, count: number, key: (i: number) => string | null, from = 0): Promise<void> {
      const records: OutgoingRecord[] = [];
      for (let i = from; i < from + count; i++) records.push({ topic: t, key: key(i), value: JSON.stringify({ i }) });
      await producer().send(records);
    }

    const noErrors = (...rs: GroupReader[]): void => {
      for (const r of rs) expect(r.errors, 'reader errors').to.deep.equal([]);
    };

    describe('topics', () => {
      it('creates a topic, describes it with its retention and cleanup policy, and lists it', async () => {
        const t = await topic('described', 3, { retentionMs: 3_600_000, cleanupPolicy: 'delete' });
        const c = await topic('compacted', 1, { cleanupPolicy: 'compact' });
        const described = await broker.admin.describeTopic(t);
        expect(described).to.include({ name: t, partitions: 3, replicationFactor: 1 });
        expect(described!.config['retention.ms']).to.equal('3600000');
        expect(described!.config['cleanup.policy']).to.equal('delete');
        expect((await broker.admin.describeTopic(c))!.config['cleanup.policy']).to.equal('compact');
        const names = (await broker.admin.listTopics()).map((d) => d.name);
        expect(names).to.include.members([t, c]);
        expect(await broker.admin.describeTopic(unique('never'))).to.equal(undefined);
      });

      it('leaves an existing topic alone when it is created again', async () => {
        const t = await topic('idempotent', 2);
        await broker.admin.createTopics([{ name: t, partitions: 5, replicationFactor: 1 }]);
        expect((await broker.admin.describeTopic(t))!.partitions).to.equal(2);
      });

      it('rejects illegal names, partition counts and replication factors with InvalidTopicSpec', async () => {
        const brokers = await broker.admin.brokerCount();
        expect(brokers).to.be.at.least(1);
        const bad: TopicSpec[] = [
          { name: `${unique('bad')} space`, partitions: 1, replicationFactor: 1 },
          { name: `${unique('bad')}/slash`, partitions: 1, replicationFactor: 1 },
          { name: '..', partitions: 1, replicationFactor: 1 },
          { name: unique('long').padEnd(250, 'x'), partitions: 1, replicationFactor: 1 },
          { name: unique('nopartitions'), partitions: 0, replicationFactor: 1 },
          { name: unique('toomanyreplicas'), partitions: 1, replicationFactor: brokers + 1 },
        ];
        for (const spec of bad) {
          const error = await rejection(broker.admin.createTopics([spec]));
          expect(error, spec.name).to.be.instanceOf(InvalidTopicSpec);
          expect(await broker.admin.describeTopic(spec.name), spec.name).to.equal(undefined);
        }
      });

      it('deletes a topic, and refuses to delete one that does not exist', async () => {
        const t = await topic('deleted', 1);
        await broker.admin.deleteTopics([t]);
        await waitFor(async () => (await broker.admin.describeTopic(t)) === undefined, {
          timeoutMs: WAIT_MS,
          message: `${t} to be gone`,
        });
        expect((await broker.admin.listTopics()).map((d) => d.name)).to.not.include(t);
        expect(await rejection(broker.admin.deleteTopics([t]))).to.be.instanceOf(UnknownTopic);
      });

      it('reports watermarks per partition', async () => {
        const t = await topic('watermarks', 2);
        expect(await broker.admin.watermarks({ topic: t, partition: 0 })).to.deep.equal({ low: 0, high: 0 });
        await producer().send([0, 1, 2].map((i) => ({ topic: t, partition: 0, key: `k${i}`, value: 'v' })));
        expect(await broker.admin.watermarks({ topic: t, partition: 0 })).to.deep.equal({ low: 0, high: 3 });
        expect(await broker.admin.watermarks({ topic: t, partition: 1 })).to.deep.equal({ low: 0, high: 0 });
        expect(await rejection(broker.admin.watermarks({ topic: t, partition: 9 }))).to.be.instanceOf(UnknownPartition);
        expect(await rejection(broker.admin.watermarks({ topic: unique('nowhere'), partition: 0 }))).to.be.instanceOf(
          UnknownTopic,
        );
      });
    });

    describe('producing', () => {
      it('fails with UnknownTopic for a topic that does not exist (no auto-creation)', async () => {
        const missing = unique('missing');
        const error = await rejection(producer().send([{ topic: missing, key: 'k', value: 'v' }]));
        expect(error).to.be.instanceOf(UnknownTopic);
        expect(await broker.admin.describeTopic(missing)).to.equal(undefined);
      });

      it("puts a keyed record on Kafka's partition for its key, with offsets rising in send order", async () => {
        const t = await topic('keyed', 5);
        const keys = Array.from({ length: 20 }, (_, i) => `user_${i}`);
        const sent = await producer().send(
          keys.flatMap((key) => [0, 1].map((n) => ({ topic: t, key, value: `${key}#${n}` }))),
        );
        const next = new Map<number, number>();
        sent.forEach((meta, i) => {
          const key = keys[i >> 1];
          expect(meta.topic).to.equal(t);
          expect(meta.partition, key).to.equal(partitionForKey(key, 5));
          expect(meta.offset).to.equal(next.get(meta.partition) ?? 0);
          next.set(meta.partition, meta.offset + 1);
        });
      });

      it('puts a record on the partition it names, and refuses one that does not exist', async () => {
        const t = await topic('explicit', 3);
        const [meta] = await producer().send([{ topic: t, partition: 2, key: 'user_1', value: 'v' }]);
        expect(meta).to.deep.equal({ topic: t, partition: 2, offset: 0 });
        expect(await rejection(producer().send([{ topic: t, partition: 7, key: 'k', value: 'v' }]))).to.be.instanceOf(
          UnknownPartition,
        );
      });

      it('spreads records without key over the partitions', async () => {
        const t = await topic('unkeyed', 3);
        const p = producer();
        const partitions = new Set<number>();
        for (let i = 0; i < 30; i++) {
          const [meta] = await p.send([{ topic: t, key: null, value: `${i}` }]);
          partitions.add(meta.partition);
        }
        expect(partitions.size).to.be.at.least(2);
      });

      it('gives later sends higher offsets', async () => {
        const t = await topic('offsets', 1);
        const p = producer();
        const first = await p.send([1, 2, 3].map((i) => ({ topic: t, key: 'k', value: `${i}` })));
        const second = await p.send([4, 5].map((i) => ({ topic: t, key: 'k', value: `${i}` })));
        expect([...first, ...second].map((m) => m.offset)).to.deep.equal([0, 1, 2, 3, 4]);
      });

      it('fire-and-forget resolves without offsets, and the records still arrive', async () => {
        const t = await topic('fireforget', 2);
        const p = producer('fire-and-forget');
        const sent = await p.send(Array.from({ length: 10 }, (_, i) => ({ topic: t, key: `k${i}`, value: 'v' })));
        expect(sent.map((m) => m.offset)).to.deep.equal(Array(10).fill(-1));
        await p.flush();
        await waitFor(
          async () => {
            const [a, b] = await Promise.all(
              [0, 1].map((partition) => broker.admin.watermarks({ topic: t, partition })),
            );
            return a.high + b.high === 10;
          },
          { timeoutMs: WAIT_MS, message: '10 fire-and-forget records in the log' },
        );
      });

      it('refuses to send once closed', async () => {
        const t = await topic('closed', 1);
        const p = producer();
        await p.close();
        expect(await rejection(p.send([{ topic: t, key: 'k', value: 'v' }]))).to.be.instanceOf(ProducerClosed);
      });
    });

    describe('consuming', () => {
      it('gives a lone member every partition, and every record in order, from the earliest on a fresh group', async () => {
        const t = await topic('lone', 3);
        const key = (i: number): string => `taxi_${i % 7}`;
        await sendValues(t, 30, key);
        const r = reader(unique('group'), [t]);
        await waitFor(() => r.held().join() === allPartitions(t, 3).join() && r.records.length === 30, {
          timeoutMs: WAIT_MS,
          message: () => `all 3 partitions and 30 records, got ${r.held()} and ${r.records.length}`,
        });
        // Caught up, it is handed what comes next.
        await sendValues(t, 10, key, 30);
        await waitFor(() => r.records.length === 40, {
          timeoutMs: WAIT_MS,
          message: () => `40 records, got ${r.records.length}`,
        });
        noErrors(r);
        for (let p = 0; p < 3; p++) {
          const offsets = r.offsets({ topic: t, partition: p });
          expect(offsets).to.deep.equal(offsets.map((_, i) => i));
        }
        for (let k = 0; k < 7; k++) {
          const mine = r.records.filter((rec) => rec.key === `taxi_${k}`);
          expect(mine.every((rec) => rec.partition === partitionForKey(`taxi_${k}`, 3))).to.equal(true);
          const seq = mine.map((rec) => (JSON.parse(rec.value!) as { i: number }).i);
          expect(seq).to.deep.equal([...seq].sort((a, b) => a - b));
        }
      });

      it('keeps key, value, headers and a given timestamp, and stamps records sent without one', async () => {
        const t = await topic('fields', 1);
        await producer().send([
          {
            topic: t,
            key: 'post_456',
            value: '{"type":"post.liked"}',
            headers: { source: 'spec' },
            timestamp: 1_600_000_000_000,
          },
          { topic: t, key: 'post_457', value: null },
        ]);
        const r = reader(unique('group'), [t]);
        await waitFor(() => r.records.length === 2, { timeoutMs: WAIT_MS, message: 'both records' });
        const [liked, tombstone] = r.records;
        expect(liked).to.deep.include({
          topic: t,
          partition: 0,
          offset: 0,
          key: 'post_456',
          value: '{"type":"post.liked"}',
        });
        expect(liked.headers).to.deep.equal({ source: 'spec' });
        expect(liked.timestamp).to.equal(1_600_000_000_000);
        expect(tombstone.value).to.equal(null);
        expect(tombstone.timestamp).to.be.a('number').and.to.be.greaterThan(0);
      });

      it('starts from an explicit offset', async () => {
        const t = await topic('seek', 1);
        await sendValues(t, 10, () => 'k');
        const r = reader(unique('group'), [t], { start: () => ({ offset: 4 }) });
        await waitFor(() => r.records.length === 6, {
          timeoutMs: WAIT_MS,
          message: () => `6 records, got ${r.records.length}`,
        });
        expect(r.offsets({ topic: t, partition: 0 })).to.deep.equal([4, 5, 6, 7, 8, 9]);
      });

      it('stores committed offsets, and answers only for partitions that have one', async () => {
        const t = await topic('commit', 2);
        const r = reader(unique('group'), [t], { commit: false });
        await waitFor(() => r.held().length === 2, { timeoutMs: WAIT_MS, message: 'the assignment' });
        await r.consumer.commit([{ topic: t, partition: 0, offset: 5 }]);
        const committed = await r.consumer.committed([
          { topic: t, partition: 0 },
          { topic: t, partition: 1 },
        ]);
        expect(committed).to.deep.equal([{ topic: t, partition: 0, offset: 5 }]);
      });

      it('lets a member of the same group continue from the committed offsets without re-reading', async () => {
        const t = await topic('resume', 2);
        const group = unique('group');
        await sendValues(t, 10, (i) => `user_${i}`);
        const first = reader(group, [t]);
        await waitFor(() => first.records.length === 10, {
          timeoutMs: WAIT_MS,
          message: () => `10 records, got ${first.records.length}`,
        });
        await first.close();
        await sendValues(t, 6, (i) => `user_${i}`, 10);
        const second = reader(group, [t]);
        await waitFor(() => second.records.length >= 6, {
          timeoutMs: WAIT_MS,
          message: () => `6 new records, got ${second.records.length}`,
        });
        noErrors(first, second);
        const values = second.records.map((rec) => (JSON.parse(rec.value!) as { i: number }).i).sort((a, b) => a - b);
        expect(values).to.deep.equal([10, 11, 12, 13, 14, 15]);
      });

      it('splits the partitions between two members, and together they read every record once', async () => {
        const t = await topic('split', 4);
        const group = unique('group');
        const a = reader(group, [t]);
        const b = reader(group, [t]);
        // Records sent only once the group has settled: a commit made before the second member
        // joined is refused by the coordinator (a stale generation), and its records read again.
        await waitFor(() => a.held().length === 2 && b.held().length === 2, {
          timeoutMs: WAIT_MS,
          message: () => `2 + 2 partitions, got ${a.held()} | ${b.held()}`,
        });
        await sendValues(t, 40, (i) => `account_${i}`);
        const union = (): BrokerRecord[] => [...a.records, ...b.records];
        await waitFor(() => a.held().length === 2 && b.held().length === 2 && new Set(union().map(keyOf)).size === 40, {
          timeoutMs: WAIT_MS,
          message: () => `2 + 2 partitions and 40 records, got ${a.held()} | ${b.held()}, ${union().length}`,
        });
        noErrors(a, b);
        expect([...a.held(), ...b.held()].sort()).to.deep.equal(allPartitions(t, 4));
        expect(union().length, 'records read twice').to.equal(40);
      });

      it("hands a closing member's partitions to the other, which goes on from the committed offsets", async () => {
        const t = await topic('handover', 4);
        const group = unique('group');
        const a = reader(group, [t]);
        const b = reader(group, [t]);
        await sendValues(t, 20, (i) => `taxi_${i}`);
        await waitFor(
          () => a.held().length === 2 && b.held().length === 2 && a.records.length + b.records.length === 20,
          {
            timeoutMs: WAIT_MS,
            message: () => `a split group that read 20 records, got ${a.records.length + b.records.length}`,
          },
        );
        await a.close();
        expect(a.assignmentsCompleted, "a's assignments complete on close").to.equal(true);
        await waitFor(() => b.held().join() === allPartitions(t, 4).join(), {
          timeoutMs: WAIT_MS,
          message: () => `b to hold all 4 partitions, holds ${b.held()}`,
        });
        await sendValues(t, 20, (i) => `taxi_${i}`, 20);
        await waitFor(() => a.records.length + b.records.length >= 40, { timeoutMs: WAIT_MS, message: '40 records' });
        noErrors(a, b);
        const all = [...a.records, ...b.records];
        expect(new Set(all.map(keyOf)).size).to.equal(40);
        expect(all.length, 'records read twice').to.equal(40);
      });

      it('hands out no batch of a partition while the previous one is not acked', async () => {
        const t = await topic('inflight', 1);
        await sendValues(t, 5, () => 'k');
        const consumer = broker.consumer({ groupId: unique('group'), topics: [t], maxBatchSize: 2 });
        clients.push(consumer);
        const assignments = collect(consumer.assignments);
        await waitFor(() => assignments.items.length === 1, { timeoutMs: WAIT_MS, message: 'the assignment' });
        const batches = collect(assignments.items[0].batches({ offset: 0 }));
        await waitFor(() => batches.items.length === 1, { timeoutMs: WAIT_MS, message: 'the first batch' });
        // Time passes (another group reads the whole partition), and still no second batch.
        const witness = reader(unique('witness'), [t], { maxBatchSize: 1 });
        await waitFor(() => witness.records.length === 5, {
          timeoutMs: WAIT_MS,
          message: 'the witness to read 5 records',
        });
        expect(batches.items.length).to.equal(1);
        const first: RecordBatch = batches.items[0];
        expect(first.records.length).to.be.within(1, 2);
        expect(first.records[0].offset).to.equal(0);
        first.ack();
        await waitFor(() => batches.items.length === 2, { timeoutMs: WAIT_MS, message: 'the second batch after ack' });
        expect(batches.items[1].records[0].offset).to.equal(first.records[first.records.length - 1].offset + 1);
        batches.items[1].ack();
        batches.subscription.unsubscribe();
        assignments.subscription.unsubscribe();
      });

      it('fails the assignments of a consumer of a topic that does not exist with UnknownTopic', async () => {
        const consumer = broker.consumer({ groupId: unique('group'), topics: [unique('missing')] });
        clients.push(consumer);
        const assignments = collect(consumer.assignments);
        await waitFor(() => assignments.done, { timeoutMs: WAIT_MS, message: 'the assignments to fail' });
        expect(assignments.error).to.be.instanceOf(UnknownTopic);
      });

      it('reads one partition outside any group, from an offset up to the high watermark, then completes', async () => {
        const t = await topic('readable', 3);
        const records: OutgoingRecord[] = [];
        for (let i = 0; i < 250; i++) records.push({ topic: t, partition: 1, key: `k${i % 7}`, value: JSON.stringify({ i }) });
        records.push({ topic: t, partition: 2, key: 'other', value: '{}' });
        await producer().send(records);
        const read = async (from?: number) => {
          const got = collect(broker.readPartition({ topic: t, partition: 1 }, { from, maxBatchSize: 100 }));
          await waitFor(() => got.done, { timeoutMs: WAIT_MS, message: `the read from ${from} to complete` });
          expect(got.error, 'read error').to.equal(undefined);
          expect(got.items.every((chunk) => chunk.length <= 100)).to.equal(true);
          return got.items.flat();
        };
        const all = await read();
        expect(all.map((r) => r.offset)).to.deep.equal(Array.from({ length: 250 }, (_, i) => i));
        expect(all.every((r) => r.topic === t && r.partition === 1)).to.equal(true);
        expect(JSON.parse(all[249].value!)).to.deep.equal({ i: 249 });
        expect((await read(240)).map((r) => r.offset)).to.deep.equal([240, 241, 242, 243, 244, 245, 246, 247, 248, 249]);
        expect(await read(250)).to.deep.equal([]);
        const empty = collect(broker.readPartition({ topic: t, partition: 0 }));
        await waitFor(() => empty.done, { timeoutMs: WAIT_MS, message: 'the read of an empty partition to complete' });
        expect(empty.items.flat()).to.deep.equal([]);
        // Nothing was committed: a group reading the topic afterwards starts at the beginning.
        const after = reader(unique('after-read'), [t]);
        await waitFor(() => after.records.length === 251, { timeoutMs: WAIT_MS, message: 'a group to read everything' });
      });

      it('completes every partition and the assignments when the member closes', async () => {
        const t = await topic('closing', 2);
        const consumer = broker.consumer({ groupId: unique('group'), topics: [t] });
        const assignments = collect(consumer.assignments);
        await waitFor(() => assignments.items.length === 2, { timeoutMs: WAIT_MS, message: 'the assignment' });
        const streams = assignments.items.map((a) => collect(a.batches('committed')));
        await consumer.close();
        await waitFor(() => assignments.completed && streams.every((s) => s.completed), {
          timeoutMs: WAIT_MS,
          message: 'everything to complete',
        });
      });
    });
  });
}

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { waitFor } from '../../support/waitFor.js';
import { ManualScheduler, offsetsOf, readAssignments } from './fixtures.js';

describe('memory broker: persistence in a dir', () => {
  let dir: string;
  let clock: VirtualClock;
  let scheduler: ManualScheduler;
  const open = (): MemoryBroker =>
    new MemoryBroker({ dir, clock, schedule: scheduler.schedule, maintenanceIntervalMs: 0 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-memory-'));
    clock = new VirtualClock('2024-03-01T12:00:00Z');
    scheduler = new ManualScheduler();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('brings topics, records and committed offsets back after a restart, and offsets go on', async () => {
    const before = open();
    await before.admin.createTopics([
      {
        name: 'transactions',
        partitions: 2,
        replicationFactor: 1,
        retentionMs: -1,
        config: { 'min.insync.replicas': '1' },
      },
    ]);
    await before.producer().send([
      { topic: 'transactions', partition: 0, key: 'acct_1', value: '{"amount":10}', headers: { trace: 't1' } },
      { topic: 'transactions', partition: 0, key: 'acct_1', value: null, timestamp: 42 },
      { topic: 'transactions', partition: 1, key: 'acct_2', value: '{"amount":5}' },
    ]);
    const consumer = before.consumer({ groupId: 'ledger', topics: ['transactions'] });
    await consumer.commit([{ topic: 'transactions', partition: 0, offset: 1 }]);
    const records = before.read({ topic: 'transactions', partition: 0 });
    await before.close();

    const after = open();
    expect(await after.admin.describeTopic('transactions')).to.deep.equal({
      name: 'transactions',
      partitions: 2,
      replicationFactor: 1,
      config: { 'min.insync.replicas': '1', 'retention.ms': '-1', 'cleanup.policy': 'delete' },
    });
    expect(after.read({ topic: 'transactions', partition: 0 })).to.deep.equal(records);
    const [meta] = await after.producer().send([{ topic: 'transactions', partition: 0, key: 'acct_1', value: '{}' }]);
    expect(meta.offset).to.equal(2);

    const resumed = after.consumer({ groupId: 'ledger', topics: ['transactions'] });
    expect(await resumed.committed([{ topic: 'transactions', partition: 0 }])).to.deep.equal([
      { topic: 'transactions', partition: 0, offset: 1 },
    ]);
    const readings = readAssignments(resumed);
    await scheduler.run();
    const p0 = readings.find((r) => r.partition.partition === 0)!;
    expect(offsetsOf(p0.batches)).to.deep.equal([1, 2]);
    await after.close();
  });

  it('writes committed offsets at most once a second of its clock, and what is left on close', async () => {
    const broker = open();
    await broker.admin.createTopics([{ name: 'likes', partitions: 1, replicationFactor: 1 }]);
    const consumer = broker.consumer({ groupId: 'counter', topics: ['likes'] });
    const onDisk = () =>
      (JSON.parse(readFileSync(join(dir, 'groups', 'counter.json'), 'utf8')) as { offsets: object }).offsets;
    const commit = (offset: number) => consumer.commit([{ topic: 'likes', partition: 0, offset }]);

    await commit(1);
    expect(onDisk()).to.deep.equal({ 'likes/0': 1 });
    clock.advance(999);
    await commit(2);
    await commit(3);
    expect(onDisk()).to.deep.equal({ 'likes/0': 1 });
    expect(await consumer.committed([{ topic: 'likes', partition: 0 }])).to.deep.equal([
      { topic: 'likes', partition: 0, offset: 3 },
    ]);
    clock.advance(1);
    await commit(4);
    expect(onDisk()).to.deep.equal({ 'likes/0': 4 });
    await commit(5);
    expect(onDisk()).to.deep.equal({ 'likes/0': 4 });
    await broker.close();
    expect(onDisk()).to.deep.equal({ 'likes/0': 5 });
  });

  it('writes the offsets not yet on disk when a member leaves the group', async () => {
    const broker = open();
    await broker.admin.createTopics([{ name: 'likes', partitions: 1, replicationFactor: 1 }]);
    const consumer = broker.consumer({ groupId: 'counter', topics: ['likes'] });
    await consumer.commit([{ topic: 'likes', partition: 0, offset: 1 }]);
    await consumer.commit([{ topic: 'likes', partition: 0, offset: 2 }]);
    await consumer.close();
    const saved = JSON.parse(readFileSync(join(dir, 'groups', 'counter.json'), 'utf8')) as { offsets: object };
    expect(saved.offsets).to.deep.equal({ 'likes/0': 2 });
    await broker.close();
  });

  it('keeps every confirmed record when the process is killed with SIGKILL mid-stream', async function () {
    this.timeout(90_000);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./crashingProducer.ts', import.meta.url)), dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let confirmed = -1;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) confirmed = Math.max(confirmed, Number(line.split(' ')[1]));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Any number will do as long as sends are in flight when the kill comes; a busy machine (the
    // whole suite on two cores) writes a few thousand a second.
    await waitFor(() => confirmed >= 5_000, {
      timeoutMs: 60_000,
      message: () => `5 000 confirmed records, got ${confirmed + 1}`,
    });
    child.kill('SIGKILL');
    await exited;

    const after = open();
    const { high } = await after.admin.watermarks({ topic: 'payments', partition: 0 });
    expect(high).to.be.greaterThan(confirmed);
    const records = after.read({ topic: 'payments', partition: 0 }, 0, confirmed + 1);
    expect(records.map((r) => (JSON.parse(r.value!) as { n: number }).n)).to.deep.equal(records.map((_, i) => i));
    expect(records).to.have.length(confirmed + 1);
    // The journal is whole again: appends go on after the last record that made it.
    const [meta] = await after.producer().send([{ topic: 'payments', key: 'k', value: '{}' }]);
    expect(meta.offset).to.equal(high);
    await after.close();
  });

  it('cuts a journal torn in the middle of a line back to its last complete record', async () => {
    const before = open();
    await before.admin.createTopics([{ name: 'logs', partitions: 1, replicationFactor: 1 }]);
    await before.producer().send([
      { topic: 'logs', key: 'a', value: '1' },
      { topic: 'logs', key: 'b', value: '2' },
    ]);
    await before.close();
    appendFileSync(join(dir, 'logs', 'logs-0.jsonl'), '{"offset":2,"timestamp":1,"key":"c","va');

    const after = open();
    expect(after.read({ topic: 'logs', partition: 0 }).map((r) => r.value)).to.deep.equal(['1', '2']);
    await after.producer().send([{ topic: 'logs', key: 'c', value: '3' }]);
    await after.close();
    const lines = readFileSync(join(dir, 'logs', 'logs-0.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { value: string }).value)).to.deep.equal(['1', '2', '3']);
  });

  it('persists what maintenance did: offsets survive a log that retention emptied, and compaction gaps', async () => {
    const before = open();
    await before.admin.createTopics([
      { name: 'positions', partitions: 1, replicationFactor: 1, retentionMs: 1000 },
      { name: 'profiles', partitions: 1, replicationFactor: 1, cleanupPolicy: 'compact' },
    ]);
    const p = before.producer();
    await p.send([1, 2, 3].map((i) => ({ topic: 'positions', key: 'taxi_1', value: `${i}` })));
    await p.send(
      [
        ['u1', 'a'],
        ['u2', 'a'],
        ['u1', 'b'],
      ].map(([key, value]) => ({ topic: 'profiles', key, value })),
    );
    clock.advance(1001);
    expect(before.maintain().changedPartitions).to.equal(2);
    await before.close();

    const after = open();
    expect(await after.admin.watermarks({ topic: 'positions', partition: 0 })).to.deep.equal({ low: 3, high: 3 });
    expect(after.read({ topic: 'profiles', partition: 0 }).map((r) => [r.offset, r.key, r.value])).to.deep.equal([
      [1, 'u2', 'a'],
      [2, 'u1', 'b'],
    ]);
    const [meta] = await after.producer().send([{ topic: 'positions', key: 'taxi_1', value: '4' }]);
    expect(meta.offset).to.equal(3);
    await after.close();
  });

  it('journals more partitions than it keeps files open for', async () => {
    const before = open();
    await before.admin.createTopics([{ name: 'wide', partitions: 300, replicationFactor: 1 }]);
    const p = before.producer();
    for (let round = 0; round < 2; round++) {
      await p.send(
        Array.from({ length: 300 }, (_, partition) => ({ topic: 'wide', partition, key: 'k', value: `${round}` })),
      );
    }
    await before.close();
    const after = open();
    for (const partition of [0, 127, 128, 299]) {
      expect(after.read({ topic: 'wide', partition }).map((r) => r.value)).to.deep.equal(['0', '1']);
    }
    await after.close();
  });

  it('forgets a deleted topic, its records and its committed offsets', async () => {
    const before = open();
    await before.admin.createTopics([{ name: 'likes', partitions: 1, replicationFactor: 1 }]);
    await before.producer().send([{ topic: 'likes', key: 'p', value: '1' }]);
    const consumer = before.consumer({ groupId: 'counter', topics: ['likes'] });
    await consumer.commit([{ topic: 'likes', partition: 0, offset: 1 }]);
    await consumer.close();
    await before.admin.deleteTopics(['likes']);
    await before.close();

    const after = open();
    expect(await after.admin.describeTopic('likes')).to.equal(undefined);
    await after.admin.createTopics([{ name: 'likes', partitions: 1, replicationFactor: 1 }]);
    expect(await after.admin.watermarks({ topic: 'likes', partition: 0 })).to.deep.equal({ low: 0, high: 0 });
    const again = after.consumer({ groupId: 'counter', topics: ['likes'] });
    expect(await again.committed([{ topic: 'likes', partition: 0 }])).to.deep.equal([]);
    await after.close();
  });
});

/**
 * The kafka adapter's consumer in a rebalance with a batch in flight: a revoked partition is given
 * up only after its batch is acked, and its next owner starts after what was committed. Run with
 * both of librdkafka's rebalance protocols: cooperative (the adapter's default) and eager.
 */
import { expect } from 'chai';
import type { Subscription } from 'rxjs';
import type { GroupConsumer, RecordBatch } from '../../../src/broker/Broker.js';
import { tpKey, type BrokerRecord } from '../../../src/broker/Record.js';
import { GroupReader } from '../../support/GroupReader.js';
import { describeKafka } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';
import { KafkaFixture, unique, WAIT_MS } from './fixture.js';

/** Reads like the host, but holds the first batch of every assignment until `release()`. */
class HoldingReader {
  readonly records: BrokerRecord[] = [];
  readonly held: RecordBatch[] = [];
  readonly completed: string[] = [];
  readonly errors: unknown[] = [];
  private holding = true;
  private readonly subscriptions: Subscription[] = [];

  constructor(readonly consumer: GroupConsumer) {
    this.subscriptions.push(
      consumer.assignments.subscribe((assigned) => {
        let first = true;
        this.subscriptions.push(
          assigned.batches('committed').subscribe({
            next: (batch) => {
              const hold = first && this.holding;
              first = false;
              void this.handle(batch, hold);
            },
            error: (e: unknown) => this.errors.push(e),
            complete: () => this.completed.push(tpKey(assigned)),
          }),
        );
      }),
    );
  }

  private async handle(batch: RecordBatch, hold: boolean): Promise<void> {
    this.records.push(...batch.records);
    const last = batch.records[batch.records.length - 1];
    await this.consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: last.offset + 1 }]);
    if (hold) this.held.push(batch);
    else batch.ack();
  }

  /** Acks the held batches of these partitions (all when omitted) and holds nothing more. */
  release(partitions?: string[]): void {
    this.holding = false;
    for (const batch of this.held.splice(0)) {
      if (partitions === undefined || partitions.includes(tpKey(batch))) batch.ack();
      else this.held.push(batch);
    }
  }

  async close(): Promise<void> {
    this.release();
    await this.consumer.close();
    for (const s of this.subscriptions) s.unsubscribe();
  }
}

for (const strategy of ['cooperative-sticky', 'range'] as const) {
  describeKafka(`kafka adapter: rebalance with a batch in flight (${strategy})`, function () {
    this.timeout(90_000);
    let fx: KafkaFixture;
    beforeEach(() => (fx = new KafkaFixture()));
    afterEach(() => fx.teardown());

    it('gives a revoked partition up only after its batch is acked; the next owner goes on after the commit', async () => {
      const broker = fx.broker({ librdkafka: { 'partition.assignment.strategy': strategy } });
      const t = await fx.topic('inflight', 2);
      const producer = broker.producer();
      for (const partition of [0, 1]) {
        await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: t, partition, key: `k${i}`, value: `${partition}:${i}` })));
      }
      const group = unique('group');
      const a = new HoldingReader(broker.consumer({ groupId: group, topics: [t], maxBatchSize: 3 }));
      await waitFor(() => a.held.length === 2, { timeoutMs: WAIT_MS, message: () => `a to hold 2 batches, holds ${a.held.length}` });

      const b = new GroupReader(broker.consumer({ groupId: group, topics: [t] }));
      const revoked = (): string[] =>
        fx.logger.lines
          .filter((l) => l.message.startsWith('partitions revoked') && l.fields.group === group)
          .flatMap((l) => l.fields.partitions as string[]);
      await waitFor(() => revoked().length > 0, { timeoutMs: WAIT_MS, message: 'a to be asked to give partitions up' });
      // Time passes (another group reads both partitions to the end), and a still holds what it
      // was asked for, because its batches are not acked.
      const witness = new GroupReader(broker.consumer({ groupId: unique('witness'), topics: [t] }));
      await waitFor(() => witness.records.length === 20, { timeoutMs: WAIT_MS, message: 'the witness to read 20 records' });
      await witness.close();
      expect(b.held(), 'b holds nothing while a has batches in flight').to.deep.equal([]);
      expect(a.completed).to.deep.equal([]);

      const asked = [...new Set(revoked())].sort();
      a.release(asked);
      await waitFor(() => asked.every((p) => a.completed.includes(p)), {
        timeoutMs: WAIT_MS,
        message: () => `a's revoked partitions ${asked} to complete, completed ${a.completed}`,
      });
      await waitFor(() => b.held().length >= 1, { timeoutMs: WAIT_MS, message: 'b to get a partition' });
      a.release();
      await waitFor(() => a.records.length + b.records.length >= 20, {
        timeoutMs: WAIT_MS,
        message: () => `20 records between a and b, got ${a.records.length} + ${b.records.length}`,
      });
      const all = [...a.records, ...b.records].map((r) => `${r.partition}@${r.offset}`);
      expect(all.length, 'no record read twice').to.equal(20);
      expect(new Set(all).size).to.equal(20);
      // b started each of its partitions right after what a committed.
      for (const p of b.held()) {
        const partition = Number(p.split('/').pop());
        const fromA = a.records.filter((r) => r.partition === partition).map((r) => r.offset);
        const fromB = b.offsets({ topic: t, partition });
        expect(fromB[0], p).to.equal(fromA.length === 0 ? 0 : Math.max(...fromA) + 1);
      }
      expect([...a.errors, ...b.errors]).to.deep.equal([]);
      await Promise.all([a.close(), b.close()]);
    });
  });
}

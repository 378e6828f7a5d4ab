/**
 * A quick throughput measure of the kafka adapter against the local broker: 100k small records
 * produced with each profile, then consumed by one group member (batches acked at once, no
 * commits). Prints the rates; asserts only a floor far below them, to catch a regression by an
 * order of magnitude (a latency bug in the consume loop, a send that waits per record).
 *
 *   npx mocha --no-config --node-option import=tsx --exit spec/adapters/kafka/throughput.spec.ts
 */
import { expect } from 'chai';
import type { Subscription } from 'rxjs';
import type { OutgoingRecord } from '../../../src/broker/Record.js';
import { describeKafka } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';
import { KafkaFixture, unique } from './fixture.js';

const COUNT = 100_000;
const FLOOR_PER_S = 5_000;

describeKafka('kafka adapter: throughput', function () {
  this.timeout(180_000);
  let fx: KafkaFixture;
  beforeEach(() => (fx = new KafkaFixture()));
  afterEach(() => fx.teardown());

  const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000);

  for (const profile of ['reliable', 'fire-and-forget'] as const) {
    it(`produces and consumes ${COUNT} small records (${profile})`, async () => {
      const broker = fx.broker();
      const t = await fx.topic('throughput', 6);
      const records: OutgoingRecord[] = Array.from({ length: COUNT }, (_, i) => ({
        topic: t,
        key: `user_${i % 1000}`,
        value: `{"type":"show.position","i":${i},"positionSec":${i % 3600}}`,
      }));
      const producer = broker.producer({ profile });
      const t0 = Date.now();
      // Sends of 1 000 records, up to all of them in flight at once (the producer pipelines them).
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < COUNT; i += 1_000) sends.push(producer.send(records.slice(i, i + 1_000)));
      await Promise.all(sends);
      await producer.flush();
      const produceMs = Date.now() - t0;

      const consumer = broker.consumer({ groupId: unique('group'), topics: [t], maxBatchSize: 1000 });
      const subscriptions: Subscription[] = [];
      let read = 0;
      const t1 = Date.now();
      subscriptions.push(
        consumer.assignments.subscribe((a) =>
          subscriptions.push(
            a.batches('committed').subscribe((batch) => {
              read += batch.records.length;
              batch.ack();
            }),
          ),
        ),
      );
      await waitFor(() => read >= COUNT, { timeoutMs: 120_000, message: () => `${COUNT} records, read ${read}` });
      const consumeMs = Date.now() - t1;
      for (const s of subscriptions) s.unsubscribe();
      await consumer.close();
      console.log(
        `      ${profile}: produce ${COUNT} in ${produceMs} ms (${rate(COUNT, produceMs)}/s), ` +
          `consume in ${consumeMs} ms incl. group join (${rate(COUNT, consumeMs)}/s)`,
      );
      expect(read).to.equal(COUNT);
      expect(rate(COUNT, produceMs)).to.be.above(FLOOR_PER_S);
      expect(rate(COUNT, consumeMs)).to.be.above(FLOOR_PER_S);
    });
  }
});

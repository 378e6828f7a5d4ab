/**
 * The memory broker is the host's hot path in benchmarks. This produces (in sends of 1 000, built
 * beforehand) and consumes (batches of 500, acked at once) N small keyed records in-process (default 200 000; the full figure with
 * `KASTOR_BENCH_RECORDS=1000000 npx mocha --no-config --node-option import=tsx spec/adapters/memory/throughput.spec.ts`)
 * and prints the rate; the bound is loose so that a busy CI machine does not fail it.
 */
import { expect } from 'chai';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import type { OutgoingRecord } from '../../../src/broker/Record.js';
import { waitFor } from '../../support/waitFor.js';

const N = Number(process.env.KASTOR_BENCH_RECORDS ?? 200_000);
const SEND = 1_000;

describe('memory broker: throughput', function () {
  this.timeout(120_000);

  it(`produces and consumes ${N} records well within 5 s per million`, async () => {
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    await broker.admin.createTopics([{ name: 'bench', partitions: 30, replicationFactor: 1 }]);
    const consumer = broker.consumer({ groupId: 'bench', topics: ['bench'] });
    let consumed = 0;
    consumer.assignments.subscribe((assigned) =>
      assigned.batches('committed').subscribe((batch) => {
        consumed += batch.records.length;
        batch.ack();
      }),
    );
    const sends: OutgoingRecord[][] = [];
    for (let i = 0; i < N; i += SEND) {
      const records: OutgoingRecord[] = [];
      for (let j = i; j < Math.min(N, i + SEND); j++) {
        records.push({ topic: 'bench', key: `user_${j % 100_000}`, value: `{"type":"post.liked","n":${j}}` });
      }
      sends.push(records);
    }
    const producer = broker.producer();
    const started = performance.now();
    for (const records of sends) await producer.send(records);
    const produced = performance.now();
    await waitFor(() => consumed === N, { timeoutMs: 60_000, message: () => `${N} records consumed, got ${consumed}` });
    const done = performance.now();
    await broker.close();
    const seconds = (done - started) / 1000;
    console.log(
      `      ${N} records: produced in ${((produced - started) / 1000).toFixed(2)} s, all consumed after ` +
        `${seconds.toFixed(2)} s (${Math.round(N / seconds).toLocaleString('en')} records/s)`,
    );
    expect(seconds).to.be.below((10 * N) / 1_000_000 + 1);
  });
});

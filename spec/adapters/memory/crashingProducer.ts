/**
 * Child process of persistence.spec.ts: produces to a journaled MemoryBroker in `argv[2]` without
 * end, printing the last offset of every confirmed send, until the spec kills it with SIGKILL.
 */
import { writeSync } from 'node:fs';
import { MemoryBroker } from '../../../adapters/memory/index.js';

const broker = new MemoryBroker({ dir: process.argv[2], maintenanceIntervalMs: 0 });
await broker.admin.createTopics([{ name: 'payments', partitions: 1, replicationFactor: 1 }]);
const producer = broker.producer();
for (let i = 0; ; i += 10) {
  const batch = Array.from({ length: 10 }, (_, j) => ({
    topic: 'payments',
    key: `account_${(i + j) % 7}`,
    value: JSON.stringify({ n: i + j }),
  }));
  const sent = await producer.send(batch);
  writeSync(1, `confirmed ${sent[sent.length - 1].offset}\n`);
  if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
}

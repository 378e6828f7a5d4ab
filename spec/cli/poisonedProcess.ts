/**
 * A process for spec/cli/poisonedProcess.spec.ts: a runtime on the memory transport, with a
 * healthy counter stage and an audit stage whose store transaction fails on every attempt (its
 * table was never created), wired to the same fatal-exit path as `kastor run`. Usage:
 *   node --import tsx spec/cli/poisonedProcess.ts <dataDir> <records>
 * It produces the records, starts, and exits 1 once the audit stage's supervisor gives up.
 */
import { join } from 'node:path';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { exitOnFatal } from '../../src/cli/runCommand.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { createLogger } from '../../src/log/createLogger.js';
import { auditTrailStage as auditTrail } from '../support/auditTrailStage.js';
import { counterApp, counterTopics } from '../support/counterApp.js';

const POISONED_POLICY = { maxRestarts: 2, windowMs: 60_000, initialBackoffMs: 20, maxBackoffMs: 50 };

const [dataDir, count] = process.argv.slice(2);
const log = createLogger();
const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
const store = new SqliteStateStore(join(dataDir, 'state.db'));
// `kastor run` holds the event loop open with its HTTP server (the runtime's timers do not).
const open = setInterval(() => undefined, 60_000);
const stop = async () => {
  clearInterval(open);
  await runtime.stop();
  await broker.close();
  store.close();
  log.info('stopped');
};
const runtime = new Runtime([{ ...counterApp(), stages: [auditTrail] }], {
  broker, store, clock: new SystemClock(), ids: seededIdSource(5), logger: log,
  maxAttempts: 1, backoffMs: () => 5, supervision: POISONED_POLICY,
  onFatal: exitOnFatal(log, stop),
});
await runtime.ensureTopics();
const producer = broker.producer();
await producer.send(Array.from({ length: Number(count) }, (_, i) => {
  const key = `k${i % 5}`;
  return { topic: counterTopics.input.name, key, value: JSON.stringify({ id: `e${i}`, type: 'counter.added', key, at: '2026-01-01T00:00:00Z', n: 1 }) };
}));
await producer.close();
await runtime.start();
log.info('started');

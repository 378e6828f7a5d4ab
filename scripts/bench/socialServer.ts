/**
 * What `kastor run social` runs (src/cli/runCommand.ts startProcess: the runtime, the app's routes
 * and read model, /readyz), wired the same way but with every topic and group under a prefix
 * (PrefixedBroker) so that the latency benchmark can use the shared Kafka broker without touching
 * anybody's `tracking.social.*`. Memory transport: the journalled MemoryBroker under the data
 * directory, as `kastor run` has it; `memory-volatile`: the MemoryBroker without a journal (as the
 * specs and the simulation use it), to price the journal; `memory-workers`: `kastor run social
 * --workers 2` itself (startProcess), the stages on two worker threads.
 *   node --import tsx scripts/bench/socialServer.ts <memory|memory-volatile|memory-workers|kafka> <dataDir> <port> <prefix> <brokers>
 * SIGTERM drains and exits 0 after deleting its topics (kafka).
 */
import { join } from 'node:path';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore, openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { socialModule } from '../../src/apps/social/index.js';
import type { Broker } from '../../src/broker/Broker.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import { createHttpApp } from '../../src/http/createHttpApp.js';
import { loadKeyRing } from '../../src/http/auth/index.js';
import { nanoidSource } from '../../src/ids/IdSource.js';
import { silentLogger } from '../../src/log/Logger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { startProcess } from '../../src/cli/runCommand.js';
import { profiled } from './measure.js';
import { PrefixedBroker } from './PrefixedBroker.js';

async function main(): Promise<void> {
  const [transport, dataDir, port, prefix, brokers] = process.argv.slice(2);
  if (transport === 'memory-workers') return workers(dataDir, Number(port));
  if (transport !== 'memory' && transport !== 'memory-volatile' && transport !== 'kafka') throw new Error(`transport must be memory, memory-volatile, memory-workers or kafka, not ${transport}`);
  const clock = new SystemClock();
  let inner: Broker;
  if (transport === 'memory') inner = new MemoryBroker({ clock, dir: join(dataDir, 'log') });
  else if (transport === 'memory-volatile') inner = new MemoryBroker({ clock });
  else {
    const { KafkaBroker } = await import('../../adapters/kafka/index.js');
    inner = new KafkaBroker({ brokers, clientId: 'kastor-bench' });
  }
  const broker = new PrefixedBroker(inner, prefix);
  const store = new SqliteStateStore(join(dataDir, 'state.db'));
  const readDb = openDatabase(join(dataDir, 'state.db'));
  const metrics = new Metrics();
  const producer = broker.producer({ profile: 'reliable', clientId: 'kastor-edge' });
  const hosted = socialModule.host({
    db: store.db, readDb, dataDir, transport: transport === 'kafka' ? 'kafka' : 'memory', broker, producer, clock, ids: nanoidSource, logger: silentLogger, metrics, env: {},
  });
  const runtime = new Runtime([hosted.definition], {
    broker, store, clock, ids: nanoidSource, metrics, logger: silentLogger,
    onFatal: (e) => {
      console.error(`fatal: ${e.stack ?? e.message}`);
      process.exit(1);
    },
  });
  await runtime.start();
  // As `kastor run` has it: the data directory's key, the default write limits per subject.
  const keys = await loadKeyRing({ dataDir });
  const http = createHttpApp({ log: silentLogger, auth: { keys, clock } });
  http.get('/readyz', { config: { auth: 'public' } }, async (_req, reply) => reply.code(runtime.healthy ? 200 : 503).send({ ready: runtime.healthy }));
  hosted.routes(http);
  await http.listen({ port: Number(port), host: '127.0.0.1' });
  // With --profile (BENCH_PROFILE), a CPU profile of the server from ready to SIGTERM.
  await profiled(`latency-server-${transport}`, () => new Promise((resolve) => process.once('SIGTERM', resolve)));
  const closed = http.close();
  http.server.closeAllConnections();
  await closed;
  await runtime.stop();
  await producer.close();
  if (transport === 'kafka') {
    const mine = await broker.ownTopics();
    await inner.admin.deleteTopics(mine).catch((e) => console.error(`could not delete ${mine.join(', ')}: ${e}`));
  }
  await broker.close();
  readDb.close();
  store.close();
  process.exit(0);
}

/** `kastor run social --workers 2` itself (startProcess): the journalled log, stages on two worker threads. */
async function workers(dataDir: string, port: number): Promise<void> {
  process.env.KASTOR_LOG_LEVEL ??= 'warn';
  const proc = await startProcess({ apps: ['social'], transport: 'memory', dataDir, port, host: '127.0.0.1', workers: 2 });
  await profiled('latency-server-memory-workers', () => new Promise((resolve) => process.once('SIGTERM', resolve)));
  await proc.stop();
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

/**
 * One worker thread of `kastor run --workers N`: the applications' stages over the partitions this
 * worker owns (adapters/thread/SharedConsumer.ts), on its own SQLite file, reaching the process's
 * broker through a ThreadBroker. It reports its status to the pool every STATUS_INTERVAL_MS,
 * answers the pool's questions (its metrics, its stages and actors for the console), and drains
 * on `stop`. A stage the supervisor gives up on ends the
 * worker (exit 1), for the pool to restart it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SystemClock } from '../../clock/SystemClock.js';
import { localConsoleSource } from '../../console/ConsoleSource.js';
import { TopicPartitionCounts } from '../../console/consoleTopology.js';
import { scrapeGauges } from '../../host/scrapeGauges.js';
import { nanoidSource } from '../../ids/IdSource.js';
import { createLogger } from '../../log/createLogger.js';
import { Metrics } from '../../metrics/Metrics.js';
import { ThreadBroker } from '../../../adapters/thread/ThreadBroker.js';
import { SqliteStateStore } from '../../../adapters/sqlite/SqliteStateStore.js';
import { unionReadConnection } from '../../../adapters/sqlite/unionReadConnection.js';
import type { BackgroundService } from '../../host/BackgroundService.js';
import type { FaultHook } from '../../host/CommitStep.js';
import { hostApps } from '../hostApps.js';
import { workerStateFile, workerStateFiles } from './layout.js';
import type { FromWorkerThread, Question, ToWorkerThread, WorkerData } from './messages.js';

const STATUS_INTERVAL_MS = 250;

const data = workerData as WorkerData;
const port = parentPort!;
const post = (m: FromWorkerThread) => port.postMessage(m);

const log = createLogger({ base: { worker: data.worker } });
const metrics = new Metrics({ defaultLabels: { worker: String(data.worker) } });
const clock = new SystemClock();
const broker = new ThreadBroker(data.brokerPort, data.transport);
const store = new SqliteStateStore(workerStateFile(data.dataDir, data.worker, data.workers));
// What the stages read of read models (a batch job's analytics, say) is every worker's.
const readDb = unionReadConnection(workerStateFiles(data.dataDir, data.workers));
const producer = broker.producer({ profile: 'reliable', clientId: 'kastor-edge' });
let stopping: Promise<void> | undefined;
let services: BackgroundService[] = [];

const { runtime, hosted } = hostApps(data, {
  broker, store, readDb, producer, clock, ids: nanoidSource, logger: log, metrics, faults: crashAt(process.env.KASTOR_WORKER_CRASH),
  onFatal: (error) => {
    log.error('fatal fault, the worker ends', { error });
    post({ type: 'fatal', message: error.message });
    void stop().finally(() => process.exit(1));
  },
});
services = hosted.flatMap((h) => h.background ?? []).filter((s) => s.runs === 'everywhere');
// No high watermarks asked across the busy broker port: the process adds them (withHighs).
const consoleSource = localConsoleSource({ runtime, store, metrics, partitions: new TopicPartitionCounts(broker.admin) });
/**
 * `KASTOR_WORKER_CRASH=<worker>:<stage>:<step>:<n>` (specs): the first thread of that worker ends
 * on the spot after the n-th time the stage passes that step of the commit protocol
 * (src/host/CommitStep.ts), as kill -9 would end a process; the pool restarts it.
 */
function crashAt(spec: string | undefined): FaultHook | undefined {
  if (!spec || data.incarnation > 0) return undefined;
  const [worker, stage, step, n] = spec.split(':');
  if (Number(worker) !== data.worker) return undefined;
  let hits = 0;
  return (s, name) => {
    if (s === step && name === stage && ++hits === Number(n)) process.exit(1);
  };
}

const scrape = scrapeGauges(runtime, broker, store, metrics, log);

async function stop(): Promise<void> {
  stopping ??= (async () => {
    clearInterval(status);
    for (const service of services) await service.stop().catch((error: unknown) => log.warn('service stop failed', { service: service.name, error }));
    await runtime.stop();
    await producer.close().catch(() => undefined);
    await broker.close();
    readDb.close();
    store.close();
  })();
  return stopping;
}

const status = setInterval(() => post({ type: 'status', status: { healthy: runtime.healthy, readiness: runtime.readiness } }), STATUS_INTERVAL_MS);

port.on('message', (m: ToWorkerThread) => {
  if (m.type === 'ask') {
    answer(m.question).then(
      (value) => post({ type: 'answer', id: m.id, value }),
      (e: Error & { status?: number }) => post({ type: 'answer', id: m.id, error: { message: e.message, statusCode: e.status } }),
    );
  } else if (m.type === 'stop') {
    void stop().then(() => process.exit(0), () => process.exit(1));
  }
});

async function answer(question: Question): Promise<unknown> {
  switch (question.what) {
    case 'metrics':
      await scrape();
      return metrics.snapshot();
    case 'stages':
      return consoleSource.stages();
    case 'inspect':
      return consoleSource.inspect(question.app, question.entity, question.key);
    case 'keys':
      return consoleSource.keys(question.app, question.entity, question.prefix, question.limit);
  }
}

await runtime.start();
for (const service of services) await service.start();
post({ type: 'status', status: { healthy: runtime.healthy, readiness: runtime.readiness } });
post({ type: 'started' });

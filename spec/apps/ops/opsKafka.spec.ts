/**
 * The ops main path on a real Kafka broker: the log forwarder and the metrics collector produce
 * with the fire-and-forget profile; the aggregator rolls the samples up per minute; the read model
 * and the log store receive the results. Topics get a dataset of their own per run.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { KafkaBroker } from '../../../adapters/kafka/index.js';
import { FileSink } from '../../../adapters/sinks/FileSink.js';
import { SqliteOpsReadModel } from '../../../adapters/sqlite/SqliteOpsReadModel.js';
import { SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { declareOpsTopics } from '../../../config/ops.js';
import { forwardLogs } from '../../../src/apps/ops/logForwarder.js';
import { MetricsCollector } from '../../../src/apps/ops/metricsCollector.js';
import { opsApp } from '../../../src/apps/ops/opsApp.js';
import { readSinkFiles } from '../../../src/batch/readSinkFiles.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { Runtime } from '../../../src/host/Runtime.js';
import { allTopics } from '../../../src/host/topology.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { Metrics } from '../../../src/metrics/Metrics.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';

const T = Date.parse('2026-01-01T12:00:00Z');

describeKafka('ops on kafka: forwarder and collector → aggregator → read model and log store', function () {
  this.timeout(120_000);

  it('aggregates fire-and-forget samples per minute and stores the logs', async () => {
    const dataset = `ops_k${randomBytes(4).toString('hex')}`;
    const topics = declareOpsTopics(dataset);
    const app = () => opsApp({ topics, readModel, stages: [logstore] });
    const broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'ops-spec', logger: recordingKafkaLogger() });
    const dir = mkdtempSync(join(tmpdir(), 'kastor-ops-kafka-'));
    const db = openDatabase(join(dir, 'state.db'));
    const store = new SqliteStateStore(db);
    const readModel = new SqliteOpsReadModel(db, db, topics);
    const sinkClock = new VirtualClock(T);
    const logstore = new FileSink({
      name: `${dataset}.logstore`, root: join(dir, 'logstore'), topics: [topics.logs.name, topics.metricsPerMinute.name],
      db, clock: sinkClock, rotateIntervalMs: 60_000,
    });
    const runtime = new Runtime([app()], { broker, store, clock: new SystemClock(), ids: seededIdSource(1), backoffMs: () => 10 });
    const collectorClock = new VirtualClock(T);
    const metrics = new Metrics();
    const depth = metrics.gauge('queue_depth', 'items waiting');
    const collector = new MetricsCollector({
      broker, metrics, clock: collectorClock, ids: seededIdSource(2), service: 'api', intervalMs: 10_000, topics, processFigures: () => ({}),
    });
    try {
      await runtime.start();
      await collector.start();
      // 12:00:10 … 12:00:50 sample 3 1 4 1 5; 12:01:00 and 12:01:10 (which closes 12:00) sample 9 and 2.
      for (const v of [3, 1, 4, 1, 5, 9, 2]) {
        depth({}, v);
        collectorClock.advance(10_000);
        await collector.settled();
      }
      const logProducer = broker.producer({ profile: 'fire-and-forget' });
      const stats = await forwardLogs(Readable.from(['{"level":"error","msg":"boom","time":"2026-01-01T12:00:05Z"}\n', 'INFO up\n']), {
        producer: logProducer, clock: collectorClock, ids: seededIdSource(3), service: 'api', topics,
      });
      expect(stats.forwarded).to.equal(2);
      await logProducer.close();

      await waitFor(() => readModel.serviceMinute('api', T) !== undefined, { timeoutMs: 60_000, message: 'the 12:00 aggregate in the read model' });
      expect(readModel.serviceMinute('api', T)).to.deep.equal({
        service: 'api', minute: '2026-01-01T12:00:00.000Z',
        metrics: [{ name: 'queue_depth', count: 5, min: 1, max: 5, sum: 14, p50: 3, p99: 5, exact: true }],
      });
      expect(readModel.serviceMinute('api', T + 60_000)).to.equal(undefined);

      await waitFor(() => logstore.buffered().reduce((n, b) => n + b.records, 0) >= 3, { timeoutMs: 60_000, message: 'logs and aggregate in the log store' });
      sinkClock.advance(60_000);
      const lines: Array<{ level?: string; message: string }> = [];
      for await (const r of readSinkFiles(join(dir, 'logstore'), topics.logs.name)) lines.push(r.value as { level?: string; message: string });
      expect(lines.map((l) => [l.level, l.message])).to.deep.equal([['error', 'boom'], ['info', 'up']]);
      let aggregates = 0;
      for await (const _ of readSinkFiles(join(dir, 'logstore'), topics.metricsPerMinute.name)) aggregates++;
      expect(aggregates).to.equal(1);
    } finally {
      await collector.stop();
      await runtime.stop();
      await broker.admin.deleteTopics(allTopics(app()).map((t) => t.name)).catch(() => undefined);
      await broker.close();
      store.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

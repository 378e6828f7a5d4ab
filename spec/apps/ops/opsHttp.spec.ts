import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { FileSink } from '../../../adapters/sinks/FileSink.js';
import { SqliteOpsReadModel } from '../../../adapters/sqlite/SqliteOpsReadModel.js';
import { SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { opsTopics } from '../../../config/ops.js';
import { forwardLogs } from '../../../src/apps/ops/logForwarder.js';
import { opsApp } from '../../../src/apps/ops/opsApp.js';
import { opsRoutes } from '../../../src/apps/ops/opsRoutes.js';
import { readSinkFiles } from '../../../src/batch/readSinkFiles.js';
import { type RunningProcess, startProcess } from '../../../src/cli/runCommand.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { Runtime } from '../../../src/host/Runtime.js';
import { type HttpApp, createHttpApp } from '../../../src/http/createHttpApp.js';
import { silentLogger } from '../../../src/log/Logger.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { Tokens } from '../../support/auth.js';
import { waitFor } from '../../support/waitFor.js';

const T = Date.parse('2026-01-01T12:00:00Z');

/** The ops routes are an operator's: an admin token of `keys`. */
async function get(base: string, path: string, keys: Tokens | Promise<Tokens> = Tokens.spec()) {
  const res = await fetch(base + path, { headers: await (await keys).header('ops', 'admin') });
  return { status: res.status, body: await res.json() };
}

describe('ops app: metrics aggregation, log store and query service', function () {
  this.timeout(30_000);
  let dir: string;
  let broker: MemoryBroker;
  let runtime: Runtime;
  let store: SqliteStateStore;
  let http: HttpApp;
  let base: string;
  const sinkClock = new VirtualClock(T);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-ops-'));
    broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const db = openDatabase(join(dir, 'state.db'));
    store = new SqliteStateStore(db);
    const readModel = new SqliteOpsReadModel(db);
    const logstore = new FileSink({
      name: 'ops.logstore', root: join(dir, 'logstore'), topics: [opsTopics.metricsPerMinute.name, opsTopics.logs.name],
      db, clock: sinkClock, rotateIntervalMs: 60_000,
    });
    runtime = new Runtime([opsApp({ readModel, stages: [logstore] })], {
      broker, store, clock: new SystemClock(), ids: seededIdSource(1), backoffMs: () => 1,
    });
    await runtime.start();
    http = opsRoutes(createHttpApp({ log: silentLogger, auth: (await Tokens.spec()).auth }), { readModel });
    base = await http.listen({ port: 0, host: '127.0.0.1' });

    const producer = broker.producer({ profile: 'fire-and-forget' });
    const sample = (service: string, name: string, value: number, ms: number, i: number) => ({
      topic: opsTopics.metrics.name, key: service,
      value: JSON.stringify({ id: `m${i}`, type: 'metric.sampled', key: service, at: new Date(T + ms).toISOString(), service, name, value }),
    });
    const records = [
      // 12:00 — latency 1..10 shuffled (p50 5, p99 10), one error count; 12:01 — latency 100.
      ...[7, 2, 9, 4, 10, 1, 6, 3, 8, 5].map((v, i) => sample('api', 'latency_ms', v, i * 5_000, i)),
      sample('api', 'errors', 2, 30_000, 20),
      sample('api', 'latency_ms', 100, 65_000, 21),
      sample('api', 'latency_ms', 1, 75_000, 22), // 12:01:15 closes 12:00
      sample('worker', 'jobs', 4, 1_000, 23),
      sample('worker', 'jobs', 4, 140_000, 24), // closes 12:00 and 12:01 for worker
    ];
    await producer.send(records);
    await forwardLogs(Readable.from(['{"level":"info","msg":"hello"}\nWARN low disk\n']), {
      producer, clock: sinkClock, ids: seededIdSource(2), service: 'api',
    });
  });

  after(async () => {
    await http.close();
    await runtime.stop();
    store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a closed minute with exact percentiles', async () => {
    await waitFor(async () => (await get(base, '/ops/metrics/api?minute=2026-01-01T12:00')).status === 200);
    const r = await get(base, '/ops/metrics/api?minute=2026-01-01T12:00');
    expect(r.body).to.deep.equal({
      service: 'api', minute: '2026-01-01T12:00:00.000Z',
      metrics: [
        { name: 'errors', count: 1, min: 2, max: 2, sum: 2, p50: 2, p99: 2, exact: true },
        { name: 'latency_ms', count: 10, min: 1, max: 10, sum: 55, p50: 5, p99: 10, exact: true },
      ],
    });
    // Any time within the minute names it.
    expect((await get(base, '/ops/metrics/api?minute=2026-01-01T12:00:42.5Z')).body.minute).to.equal('2026-01-01T12:00:00.000Z');
  });

  it('serves the latest closed minute without ?minute, and per service', async () => {
    await waitFor(async () => (await get(base, '/ops/metrics/worker')).body.minute === '2026-01-01T12:00:00.000Z');
    expect((await get(base, '/ops/metrics/worker')).body.metrics).to.deep.equal([{ name: 'jobs', count: 1, min: 4, max: 4, sum: 4, p50: 4, p99: 4, exact: true }]);
    // 12:01 of api is still open (its watermark is 12:01:15): not served yet.
    expect((await get(base, '/ops/metrics/api')).body.minute).to.equal('2026-01-01T12:00:00.000Z');
    expect((await get(base, '/ops/metrics/api?minute=2026-01-01T12:01')).status).to.equal(404);
  });

  it('answers 400 for a bad service or minute, 404 for an unknown service', async () => {
    const badMinute = await get(base, '/ops/metrics/api?minute=yesterday');
    expect(badMinute.status).to.equal(400);
    expect(badMinute.body.error).to.include('invalid minute: must be an ISO time');
    expect((await get(base, '/ops/metrics/api?minute=2026-13-01T00:00')).status).to.equal(400);
    expect((await get(base, '/ops/metrics/bad%20name')).status).to.equal(400);
    const unknown = await get(base, '/ops/metrics/nobody');
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error).to.include('nobody');
  });

  it('writes the logs and the aggregates to the log store', async () => {
    const logstore = runtime.stageRunners.find((r) => r.stage.name === 'ops.logstore')!.stage as FileSink;
    await waitFor(() => logstore.buffered().reduce((n, b) => n + b.records, 0) >= 2 + 3);
    sinkClock.advance(60_000);
    const logs = [];
    for await (const r of readSinkFiles(join(dir, 'logstore'), opsTopics.logs.name)) logs.push(r.value as { message: string; level?: string });
    expect(logs.map((l) => [l.level, l.message])).to.deep.equal([['info', 'hello'], ['warn', 'low disk']]);
    const aggregates = [];
    for await (const r of readSinkFiles(join(dir, 'logstore'), opsTopics.metricsPerMinute.name)) aggregates.push(r.value as { service: string; name: string });
    expect(aggregates.map((a) => `${a.service} ${a.name}`).sort()).to.deep.equal(['api errors', 'api latency_ms', 'worker jobs']);
  });
});

describe('ops app in a kastor process', function () {
  this.timeout(30_000);
  let dir: string;
  let proc: RunningProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-ops-proc-'));
    proc = await startProcess({ apps: ['ops'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hosts the aggregator, the read model, the log store and the collector', async () => {
    const base = `http://127.0.0.1:${proc.port}`;
    expect((await get(base, '/healthz')).status).to.equal(200);
    expect(proc.runtime!.stageRunners.map((r) => r.stage.name).sort()).to.deep.equal(['ops.logstore', 'ops.metrics_aggregator', 'ops.read_model']);
    const keys = await Tokens.ofDataDir(dir);
    expect((await get(base, '/ops/metrics/kastor?minute=2026-01-01T12:00', keys)).status).to.equal(404);
    expect((await get(base, '/ops/metrics/kastor?minute=noon', keys)).status).to.equal(400);
    expect((await fetch(`${base}/ops/metrics/kastor`, { headers: await keys.header('alice') })).status, 'a user token').to.equal(403);
  });
});

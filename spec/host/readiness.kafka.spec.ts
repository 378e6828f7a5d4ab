/**
 * Readiness per instance on a real Kafka broker (issue 16, item 1): two instances of one
 * application in one consumer group, each with a disk of its own, as two `kastor run` processes
 * would be. One stage reads a topic of one partition (as social's trending does), so one instance
 * holds it and the other is assigned nothing of it: both must become ready, and `/readyz` says what
 * each holds. Topics live under a unique dataset and are deleted afterwards.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import type { AppDefinition } from '../../src/host/AppDefinition.js';
import { Runtime } from '../../src/host/Runtime.js';
import { allTopics } from '../../src/host/topology.js';
import { createHttpApp } from '../../src/http/createHttpApp.js';
import { type Readiness, processRoutes } from '../../src/http/processRoutes.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { silentLogger } from '../../src/log/Logger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { declareTopic, DAY } from '../../src/topics/TopicDeclaration.js';
import { specKeys } from '../support/auth.js';
import { counterApp, counterMachine, counterTopicsOf } from '../support/counterApp.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../support/kafka.js';
import { waitFor } from '../support/waitFor.js';

const WAIT_MS = 60_000;

/** The counter app, plus a `trend` counter on a topic of one partition. */
function appWithOnePartitionStage(dataset: string): AppDefinition {
  const base = counterApp(undefined, dataset);
  const topics = counterTopicsOf(dataset);
  const trendInput = declareTopic('tracking', dataset, 'trend_input', { ...topics.input, partitions: 1, retentionMs: DAY });
  const trendTotals = declareTopic('streaming', dataset, 'trend_totals', { ...topics.totals, partitions: 1, retentionMs: DAY });
  return {
    ...base,
    topics: [...base.topics, trendInput, trendTotals],
    entities: [...base.entities, { name: 'trend', machine: counterMachine, inputs: [{ topic: trendInput }], outputs: { 'counter.total': trendTotals } }],
  };
}

describeKafka('readiness per instance on the kafka transport', function () {
  this.timeout(180_000);
  const dataset = `spec_ready${randomBytes(4).toString('hex')}`;
  const app = appWithOnePartitionStage(dataset);
  const counter = `${dataset}.counter`;
  const trend = `${dataset}.trend`;
  const cleanup: Array<() => Promise<void>> = [];

  after(async () => {
    for (const undo of cleanup.reverse()) await undo().catch(() => undefined);
    const admin = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'readiness-spec-admin', logger: recordingKafkaLogger() });
    await admin.admin.deleteTopics(allTopics(app).map((t) => t.name)).catch(() => undefined);
    await admin.close();
  });

  /** An instance as a `kastor run` process has it: its own clients, disk and `/readyz`. */
  async function instance(seed: number) {
    const broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: `readiness-spec-${seed}`, logger: recordingKafkaLogger() });
    const store = new SqliteStateStore(':memory:');
    const runtime = new Runtime([app], { broker, store, clock: new SystemClock(), ids: seededIdSource(seed), changelogs: true });
    const http = createHttpApp({ log: silentLogger, metrics: new Metrics(), auth: { keys: await specKeys('spec', seed), clock: new SystemClock() } });
    processRoutes(http, { healthy: () => runtime.healthy, readiness: () => runtime.readiness, metrics: async () => '' });
    cleanup.push(async () => {
      await http.close();
      await runtime.stop();
      await broker.close();
      store.close();
    });
    await runtime.start();
    const readyz = async () => {
      const res = await http.inject({ method: 'GET', url: '/readyz' });
      return { status: res.statusCode, body: res.json() as Readiness };
    };
    return { runtime, readyz };
  }

  it('makes an instance assigned nothing of a stage ready, and shows each one\'s assignment', async () => {
    const a = await instance(1);
    await waitFor(() => a.runtime.ready, { timeoutMs: WAIT_MS, message: () => `a to be ready: ${JSON.stringify(a.runtime.readiness)}` });
    const alone = await a.readyz();
    expect(alone.status).to.equal(200);
    expect(alone.body.stages?.[trend]).to.deep.equal({ ready: true, assigned: { [`tracking.${dataset}.trend_input`]: [0] }, restoring: [] });

    const b = await instance(2);
    const counterInput = `tracking.${dataset}.counter_input`;
    const held = (r: Runtime, stage: string) => r.readiness.stages[stage]?.assigned[stage === counter ? counterInput : `tracking.${dataset}.trend_input`] ?? [];
    // The counter's four partitions are shared; the trend's one stays with whoever had it (a).
    await waitFor(() => b.runtime.ready && a.runtime.ready && held(b.runtime, counter).length > 0
      && held(a.runtime, counter).length + held(b.runtime, counter).length === 4, {
      timeoutMs: WAIT_MS,
      message: () => `both to be ready with the counter shared: a ${JSON.stringify(a.runtime.readiness)}; b ${JSON.stringify(b.runtime.readiness)}`,
    });
    expect([...held(a.runtime, counter), ...held(b.runtime, counter)].sort()).to.deep.equal([0, 1, 2, 3]);
    expect(held(a.runtime, trend)).to.deep.equal([0]);

    const second = await b.readyz();
    expect(second.status).to.equal(200);
    expect(second.body.ready).to.equal(true);
    // b holds nothing of the one-partition stage, and is ready for it.
    expect(second.body.stages?.[trend]).to.deep.equal({ ready: true, assigned: {}, restoring: [] });
    expect(second.body.stages?.[counter]).to.deep.equal({ ready: true, assigned: { [counterInput]: held(b.runtime, counter) }, restoring: [] });
    expect((await a.readyz()).status).to.equal(200);
  });
});

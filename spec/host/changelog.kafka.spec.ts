/**
 * Changelogs on a real Kafka broker: two instances of one application in one consumer group, each
 * with a disk of its own. Partitions move from one to the other as they join and leave, and the
 * actors' state moves with them through the changelog topic: nothing is lost, nothing counted
 * twice, and an instance that takes a partition over reads its input from where the state stands.
 * Topics live under a unique dataset and are deleted afterwards.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import { allTopics } from '../../src/host/topology.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { counterApp, counterTopicsOf } from '../support/counterApp.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../support/kafka.js';
import { waitFor } from '../support/waitFor.js';

const WAIT_MS = 60_000;
const at = '2026-01-01T12:00:00.000Z';

describeKafka('changelog on the kafka transport', function () {
  this.timeout(240_000);
  const dataset = `spec_cl${randomBytes(4).toString('hex')}`;
  const app = counterApp(undefined, dataset);
  const topics = counterTopicsOf(dataset);
  const stage = `${dataset}.counter`;
  let broker: KafkaBroker;
  const running: Runtime[] = [];

  before(() => {
    broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'changelog-spec', logger: recordingKafkaLogger() });
  });
  after(async () => {
    for (const r of running) await r.stop().catch(() => undefined);
    // The suite's `before` never ran when Kafka is away (the suite was skipped): nothing to undo.
    if (!broker) return;
    await broker.admin.deleteTopics(allTopics(app).map((t) => t.name)).catch(() => undefined);
    await broker.close();
  });

  async function instance(seed: number) {
    const store = new SqliteStateStore(':memory:');
    const metrics = new Metrics();
    const runtime = new Runtime([app], { broker, store, metrics, clock: new SystemClock(), ids: seededIdSource(seed), changelogs: true });
    await runtime.start();
    running.push(runtime);
    const host = runtime.host(dataset, 'counter');
    const owned = () => runtime.stageRunners.find((r) => r.stage.name === stage)!.assignments;
    const total = (key: string) => (host.snapshotOf(key) as { context: { total: number } } | undefined)?.context.total;
    const stop = async () => {
      await runtime.stop();
      running.splice(running.indexOf(runtime), 1);
      store.close();
    };
    return { runtime, store, metrics, owned, total, stop };
  }

  const keys = Array.from({ length: 24 }, (_, i) => `c${i}`);
  async function round(n: number): Promise<void> {
    await broker.producer({ clientId: 'spec-edge' }).send(keys.map((key) => ({
      topic: topics.input.name, key, value: JSON.stringify({ id: `r${n}-${key}`, type: 'counter.added', key, at, n }),
    })));
  }
  /** Every key's total, from whichever instance owns its partition now. */
  const totals = (owners: Array<Awaited<ReturnType<typeof instance>>>) => keys.map((key) => {
    for (const o of owners) {
      const t = o.total(key);
      if (t !== undefined && o.owned().some((tp) => tp.endsWith(`/${partitionOf(key)}`))) return t;
    }
    return undefined;
  });
  const partitionOf = (key: string) => partitionForKey(key, topics.input.partitions);

  it('moves each partition\'s state with it as instances join and leave', async () => {
    const a = await instance(1);
    await round(1);
    await waitFor(() => totals([a]).every((t) => t === 1), { timeoutMs: WAIT_MS, message: 'a to count round 1' });

    // b joins: some partitions move to it, with their state from the changelog.
    const b = await instance(2);
    await waitFor(() => b.owned().length > 0 && a.owned().length + b.owned().length === 4 && b.runtime.ready,
      { timeoutMs: WAIT_MS, message: 'the partitions to be shared between a and b' });
    await round(2);
    await waitFor(() => totals([a, b]).every((t) => t === 3), { timeoutMs: WAIT_MS, message: () => `a and b to count round 2: ${totals([a, b])}` });
    // b read only round 2 on its partitions: their round 1 came with the state.
    const bKeys = keys.filter((k) => b.owned().some((tp) => tp.endsWith(`/${partitionOf(k)}`)));
    expect(b.metrics.value('kastor_events_in_total', { stage })).to.equal(bKeys.length);

    // a leaves: b takes every partition, restoring the ones a had.
    await a.stop();
    await waitFor(() => b.owned().length === 4 && b.runtime.ready, { timeoutMs: WAIT_MS, message: 'b to own every partition' });
    await round(3);
    await waitFor(() => totals([b]).every((t) => t === 6), { timeoutMs: WAIT_MS, message: () => `b to count round 3: ${totals([b])}` });
    expect(b.metrics.value('kastor_events_in_total', { stage })).to.equal(bKeys.length + keys.length);
    await b.stop();
  });
});

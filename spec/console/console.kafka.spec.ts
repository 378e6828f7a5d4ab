/**
 * The console's readers on the kafka transport, on topics of their own: the overview's offsets and
 * lag from real watermarks, the inspector's owning partition as the producer picked it, and a dead
 * letter listed and re-driven through node-rdkafka.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { localConsoleSource } from '../../src/console/ConsoleSource.js';
import { ConsoleOverview } from '../../src/console/ConsoleOverview.js';
import { DeadLetters, REDRIVEN_FROM } from '../../src/console/DeadLetters.js';
import { TopicPartitionCounts } from '../../src/console/consoleTopology.js';
import { inspectEntity } from '../../src/console/inspectEntity.js';
import { Runtime } from '../../src/host/Runtime.js';
import { allTopics } from '../../src/host/topology.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { silentLogger } from '../../src/log/Logger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { counterApp, counterTopicsOf } from '../support/counterApp.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../support/kafka.js';
import { waitFor, waitForValue } from '../support/waitFor.js';

const at = '2026-01-01T12:00:00.000Z';

describeKafka('the console on the kafka transport', function () {
  this.timeout(120_000);
  const dataset = `spec_console${randomBytes(4).toString('hex')}`;
  const app = counterApp(undefined, dataset);
  const topics = counterTopicsOf(dataset);
  const stage = `${dataset}.counter`;
  let broker: KafkaBroker;
  let store: SqliteStateStore;
  let runtime: Runtime;
  const metrics = new Metrics();

  before(async () => {
    broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'console-spec', logger: recordingKafkaLogger() });
    store = new SqliteStateStore(':memory:');
    runtime = new Runtime([app], { broker, store, metrics, clock: new SystemClock(), ids: seededIdSource(5) });
    await runtime.start();
    await waitFor(() => runtime.ready, { timeoutMs: 60_000, message: 'the runtime to get its partitions' });
  });
  after(async () => {
    if (!broker) return;
    await runtime?.stop().catch(() => undefined);
    await broker.admin.deleteTopics(allTopics(app).map((t) => t.name)).catch(() => undefined);
    await broker.close();
    store?.close();
  });

  it('shows offsets and lag, inspects an actor, and lists and re-drives a dead letter', async () => {
    const producer = broker.producer({ profile: 'reliable', clientId: 'console-spec-producer' });
    const partitions = new TopicPartitionCounts(broker.admin);
    await producer.send([
      { topic: topics.input.name, key: 'k1', value: JSON.stringify({ id: 'e1', type: 'counter.added', key: 'k1', at, n: 2 }) },
      { topic: topics.input.name, key: 'k1', value: 'not json', headers: { origin: 'spec' } },
    ]);
    await waitFor(() => metrics.value('kastor_events_in_total', { stage }) === 2, { timeoutMs: 30_000, message: 'both records consumed' });

    const overview = new ConsoleOverview({ source: localConsoleSource({ runtime, broker, store, metrics, partitions }), clock: new SystemClock(), log: silentLogger });
    const row = (await overview.sample()).stages.find((s) => s.name === stage)!;
    expect(row.eventsIn).to.equal(2);
    expect(row.lag).to.equal(0);
    expect(row.partitions.reduce((n, p) => n + p.high, 0)).to.equal(2);

    const view = await inspectEntity({ runtime, store, partitions }, dataset, 'counter', 'k1');
    expect(view.context).to.deep.equal({ total: 2 });
    const [metadata] = await producer.send([{ topic: topics.input.name, key: 'k1', value: JSON.stringify({ id: 'e2', type: 'counter.added', key: 'k1', at, n: 1 }) }]);
    expect(view.partition, 'the partition the producer picks for the key').to.equal(metadata.partition);

    const deadLetters = new DeadLetters({ broker, producer, partitions, log: silentLogger });
    const [dead] = await waitForValue(async () => {
      const { records } = await deadLetters.list(app, 50);
      return records.length > 0 ? records : undefined;
    }, { timeoutMs: 30_000 });
    expect(dead.reason).to.include('not JSON');
    expect(dead.headers).to.deep.equal({ origin: 'spec' });
    const sent = await deadLetters.redrive(app, dead.partition, dead.offset);
    expect(sent.topic).to.equal(topics.input.name);
    const again = await waitForValue(async () => {
      const { records } = await deadLetters.list(app, 50);
      return records.find((r) => r.headers[REDRIVEN_FROM] === sent.from);
    }, { timeoutMs: 30_000 });
    expect(again.from).to.deep.equal({ topic: sent.topic, partition: sent.partition, offset: sent.offset });
    await producer.close();
  });
});

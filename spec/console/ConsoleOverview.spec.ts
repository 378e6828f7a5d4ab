/**
 * The overview's sampler: nothing runs while nobody watches; a watcher gets a sample a second with
 * each stage's offsets, lag and rates from the counters the stages keep; the last one to leave
 * stops it. Time is virtual: the sampler's clock moves only when the spec moves it.
 */
import { expect } from 'chai';
import { MemoryBroker } from '../../adapters/memory/MemoryBroker.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { localConsoleSource } from '../../src/console/ConsoleSource.js';
import { ConsoleOverview, type OverviewSample } from '../../src/console/ConsoleOverview.js';
import { TopicPartitionCounts } from '../../src/console/consoleTopology.js';
import { Runtime } from '../../src/host/Runtime.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { silentLogger } from '../../src/log/Logger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { counterApp, counterTopics } from '../support/counterApp.js';
import { waitFor } from '../support/waitFor.js';

const at = '2026-01-01T12:00:00.000Z';

describe('console overview', function () {
  this.timeout(20_000);
  let broker: MemoryBroker;
  let store: SqliteStateStore;
  let runtime: Runtime;
  let clock: VirtualClock;
  let overview: ConsoleOverview;
  const metrics = new Metrics();

  before(async () => {
    broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    store = new SqliteStateStore(':memory:');
    runtime = new Runtime([counterApp()], { broker, store, metrics, clock: new SystemClock(), ids: seededIdSource(3) });
    await runtime.start();
    clock = new VirtualClock(at);
    overview = new ConsoleOverview({ source: localConsoleSource({ runtime, broker, store, metrics, partitions: new TopicPartitionCounts(broker.admin) }), clock, log: silentLogger });
  });
  after(async () => {
    await runtime.stop();
    await broker.close();
    store.close();
  });

  it('samples nothing while nobody watches', () => {
    clock.advance(60_000);
    expect(clock.pendingTimers).to.equal(0);
    expect(overview.history).to.have.length(0);
  });

  it('gives a watcher a sample a second, with offsets, lag and rates, and stops when the last one leaves', async () => {
    const producer = broker.producer();
    const samples: OverviewSample[] = [];
    const stop = overview.watch((s) => samples.push(s));
    clock.advance(0);
    await waitFor(() => samples.length === 1);
    const stage = () => samples.at(-1)!.stages.find((s) => s.name === 'spec.counter')!;
    expect(stage().eventsIn).to.equal(0);
    expect(stage().partitions).to.have.length(4);

    for (let i = 0; i < 5; i++) {
      await producer.send([{ topic: counterTopics.input.name, key: `k${i}`, value: JSON.stringify({ id: `e${i}`, type: 'counter.added', key: `k${i}`, at, n: 1 }) }]);
    }
    await waitFor(() => metrics.value('kastor_events_in_total', { stage: 'spec.counter' }) === 5);
    clock.advance(1_000);
    await waitFor(() => samples.length === 2);
    expect(stage().eventsIn).to.equal(5);
    expect(stage().inPerSecond).to.equal(5);
    expect(stage().outPerSecond).to.equal(5);
    expect(stage().lag).to.equal(0);
    expect(stage().partitions.reduce((n, p) => n + p.committed, 0)).to.equal(5);
    expect(stage().liveActors).to.equal(5);
    expect(samples.at(-1)!.healthy).to.equal(true);

    stop();
    expect(clock.pendingTimers).to.equal(0);
    clock.advance(10_000);
    expect(overview.history).to.have.length(2);
    await producer.close();
  });
});

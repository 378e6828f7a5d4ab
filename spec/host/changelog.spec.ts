import { expect } from 'chai';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { CHANGELOG_HEADER, offsetMarker, readChangelogRecord, stateRecord } from '../../src/host/ChangelogRecords.js';
import { restoreFromChangelog } from '../../src/host/restoreFromChangelog.js';
import { Runtime } from '../../src/host/Runtime.js';
import { changelogTopic } from '../../src/host/topology.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { topicSpec } from '../../src/topics/TopicDeclaration.js';
import { counterApp, counterTopics } from '../support/counterApp.js';
import { REMINDER_DELAY_MS, reminderApp, reminderTopics } from '../support/reminderApp.js';
import { settle } from '../support/settle.js';
import { waitFor } from '../support/waitFor.js';

const at = '2026-01-01T12:00:00.000Z';
const app = counterApp();
const changelog = changelogTopic('spec', app.entities[0]);
const STAGE = 'spec.counter';

/** A "process": a runtime with changelogs on, over its own SQLite store, on a shared broker. */
async function start(broker: MemoryBroker, seed: number, store = new SqliteStateStore(':memory:')) {
  const metrics = new Metrics();
  const runtime = new Runtime([app], { broker, store, metrics, clock: new SystemClock(), ids: seededIdSource(seed), changelogs: true });
  await runtime.start();
  const total = (key: string) => (runtime.host('spec', 'counter').snapshotOf(key) as { context: { total: number } } | undefined)?.context.total;
  return { store, metrics, runtime, total };
}

async function add(broker: MemoryBroker, events: Array<[string, string, number]>) {
  await broker.producer().send(events.map(([id, key, n]) => ({
    topic: counterTopics.input.name, key, value: JSON.stringify({ id, type: 'counter.added', key, at, n }),
  })));
}

function changelogRecords(broker: MemoryBroker) {
  return Array.from({ length: changelog.partitions }, (_, partition) => broker.read({ topic: changelog.name, partition })).flat();
}

describe('changelog', function () {
  this.timeout(20_000);

  it('is a compacted topic per entity, one partition per input partition, created with the app', async () => {
    expect(changelog.name).to.equal('internal.spec.counter_changelog');
    expect(changelog.cleanupPolicy).to.equal('compact');
    expect(changelog.partitions).to.equal(counterTopics.input.partitions);
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const p = await start(broker, 1);
    expect(await broker.admin.describeTopic(changelog.name)).to.not.equal(undefined);
    await p.runtime.stop();
  });

  it('holds each changed actor\'s state on its partition, followed by the input offsets it reflects', async () => {
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const p = await start(broker, 1);
    await add(broker, [['1', 'a', 2], ['2', 'b', 3], ['3', 'a', 5]]);
    await settle(p.runtime, broker, p.store);
    const entries = changelogRecords(broker).map((r) => ({ r, e: readChangelogRecord(r) }));
    const latest = new Map<string, number>();
    for (const { r, e } of entries) {
      if (e.kind === 'state') {
        expect(r.partition, e.write.key).to.equal(partitionForKey(e.write.key, changelog.partitions));
        latest.set(e.write.key, JSON.parse(e.write.snapshot).context.total);
      }
    }
    expect(Object.fromEntries(latest)).to.deep.equal({ a: 7, b: 3 });
    const stored = p.store.stage(STAGE).offsets([0, 1, 2, 3].map((partition) => ({ topic: counterTopics.input.name, partition })));
    for (const [tp, offset] of stored) {
      const partition = Number(tp.split('/').pop());
      const markers = entries.filter(({ r, e }) => r.partition === partition && e.kind === 'offset');
      expect(markers.length, `markers on ${tp}`).to.be.greaterThan(0);
      const last = markers[markers.length - 1];
      expect(last.e).to.deep.equal({ kind: 'offset', offset: { topic: counterTopics.input.name, partition, offset } });
      expect(last.r.headers[CHANGELOG_HEADER]).to.equal('offsets');
      // The marker comes after the state it vouches for.
      const lastState = entries.filter(({ r, e }) => r.partition === partition && e.kind === 'state').pop()!;
      expect(last.r.offset).to.be.greaterThan(lastState.r.offset);
    }
    await p.runtime.stop();
  });

  it('restores every actor into a fresh store and goes on from the offsets, counting nothing twice', async () => {
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const first = await start(broker, 1);
    await add(broker, keys.map((key, i) => [`a${i}`, key, i]));
    await add(broker, keys.map((key, i) => [`b${i}`, key, 100]));
    await settle(first.runtime, broker, first.store);
    await first.runtime.stop();

    // Another instance, on another disk: nothing of the first one's SQLite file.
    const second = await start(broker, 2);
    await add(broker, keys.map((key) => [`c-${key}`, key, 1_000]));
    await settle(second.runtime, broker, second.store);
    keys.forEach((key, i) => expect(second.total(key), key).to.equal(i + 100 + 1_000));
    // It read the input from the restored offsets, not from the beginning: 40 new records.
    expect(second.metrics.value('kastor_events_in_total', { stage: STAGE })).to.equal(keys.length);
    expect(second.runtime.ready).to.equal(true);
    await second.runtime.stop();
  });

  it('catches a store that knows a partition up from its stored changelog position, when the partition was processed elsewhere meanwhile', async () => {
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const disk = new SqliteStateStore(':memory:');
    const first = await start(broker, 1, disk);
    await add(broker, keys.map((key, i) => [`a${i}`, key, i]));
    await settle(first.runtime, broker, first.store);
    await first.runtime.stop();

    // The partitions move to another instance, which goes on with them...
    const second = await start(broker, 2);
    await add(broker, keys.map((key) => [`b-${key}`, key, 100]));
    await settle(second.runtime, broker, second.store);
    await second.runtime.stop();

    // ...and come back to the first one's disk: it takes the second one's state from the changelog
    // past where its own sends ended, rather than replaying the inputs from its stale offsets.
    const back = await start(broker, 3, disk);
    await add(broker, keys.map((key) => [`c-${key}`, key, 1_000]));
    await settle(back.runtime, broker, back.store);
    keys.forEach((key, i) => expect(back.total(key), key).to.equal(i + 100 + 1_000));
    expect(back.metrics.value('kastor_events_in_total', { stage: STAGE })).to.equal(keys.length);

    // Back on its own, it restores nothing: the changelog ends where its store says.
    await back.runtime.stop();
    const again = await start(broker, 4, disk);
    await add(broker, [['d', 'k1', 1]]);
    await settle(again.runtime, broker, again.store);
    expect(again.total('k1')).to.equal(1 + 100 + 1_000 + 1);
    expect(again.metrics.value('kastor_events_in_total', { stage: STAGE })).to.equal(1);
    await again.runtime.stop();
  });

  it('drops what follows the last offset marker: a send cut short by a crash', async () => {
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    await broker.admin.createTopics([topicSpec(changelog, 'local')]);
    const partition = partitionForKey('k', changelog.partitions);
    const state = (total: number) => stateRecord(changelog.name, partition, {
      key: 'k', seen: '[]', snapshot: JSON.stringify({ status: 'active', value: {}, context: { total }, children: {} }),
    });
    const input = { topic: counterTopics.input.name, partition, offset: 3 };
    await broker.producer().send([state(5), offsetMarker(changelog.name, input), state(9)]);
    const store = new SqliteStateStore(':memory:');
    const report = await restoreFromChangelog(broker, store.stage(STAGE), changelog.name, partition);
    expect(report).to.deep.include({ records: 3, dropped: 1 });
    expect(report.offsets).to.deep.equal([input]);
    expect(JSON.parse(store.stage(STAGE).loadSnapshot('k')!.snapshot).context.total).to.equal(5);
    expect(store.stage(STAGE).offsets([input]).get(`${input.topic}/${partition}`)).to.equal(3);
  });

  it('restores a pending delayed transition with its timer, which fires on the new instance', async () => {
    const clock = new VirtualClock(Date.parse('2026-03-01T12:00:00Z'));
    const broker = new MemoryBroker({ clock, maintenanceIntervalMs: 0 });
    const open = async (seed: number) => {
      const store = new SqliteStateStore(':memory:');
      const runtime = new Runtime([reminderApp()], { broker, store, clock, ids: seededIdSource(seed), changelogs: true });
      await runtime.start();
      return { store, runtime };
    };
    const fired = () => [0, 1, 2].flatMap((partition) => broker.read({ topic: reminderTopics.fired.name, partition })).length;
    const first = await open(1);
    await broker.producer().send([{ topic: reminderTopics.commands.name, key: 'r1', value: JSON.stringify({ id: 'c1', type: 'reminder.set', key: 'r1', at: new Date(clock.now()).toISOString() }) }]);
    await settle(first.runtime, broker, first.store);
    await first.runtime.stop();
    const second = await open(2);
    await waitFor(() => second.runtime.ready);
    clock.advance(REMINDER_DELAY_MS);
    await waitFor(() => fired() === 1, { message: 'the restored reminder to fire' });
    expect((second.runtime.host('spec', 'reminder').snapshotOf('r1') as { value: string }).value).to.equal('fired');
    await second.runtime.stop();
  });
});

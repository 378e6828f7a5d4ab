import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore, openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { REMINDER_DELAY_MS, reminderApp, reminderTopics } from '../support/reminderApp.js';
import { settle } from '../support/settle.js';
import { waitFor } from '../support/waitFor.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

describe('delayed transitions (after)', function () {
  this.timeout(20_000);
  let dir: string;
  let broker: MemoryBroker;
  let clock: VirtualClock;
  const open: Array<{ runtime: Runtime; store: SqliteStateStore }> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-after-'));
    clock = new VirtualClock(T0);
    broker = new MemoryBroker({ clock, maintenanceIntervalMs: 0 });
  });
  afterEach(async () => {
    for (const p of open.splice(0)) {
      await p.runtime.stop().catch(() => undefined);
      p.store.close();
    }
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(maxLiveActors?: number) {
    const store = new SqliteStateStore(openDatabase(join(dir, 'state.db')));
    const runtime = new Runtime([reminderApp(maxLiveActors)], { broker, store, clock, ids: seededIdSource(open.length + 1) });
    await runtime.start();
    const p = { runtime, store };
    open.push(p);
    return p;
  }
  async function crash(p: { runtime: Runtime; store: SqliteStateStore }) {
    await p.runtime.kill();
    p.store.close();
    open.splice(open.indexOf(p), 1);
  }
  let seq = 0;
  async function command(key: string, type: 'reminder.set' | 'reminder.cancelled') {
    const producer = broker.producer();
    await producer.send([{ topic: reminderTopics.commands.name, key, value: JSON.stringify({ id: `c${++seq}`, type, key, at: new Date(clock.now()).toISOString() }) }]);
  }
  const fired = (key?: string) => {
    let n = 0;
    for (let partition = 0; partition < 3; partition++) {
      for (const r of broker.read({ topic: reminderTopics.fired.name, partition })) if (!key || r.key === key) n++;
    }
    return n;
  };
  const state = (p: { runtime: Runtime }, key: string) => (p.runtime.host('spec', 'reminder').snapshotOf(key) as { value: string }).value;

  it('fires on the injected clock, commits the new state and emits once', async () => {
    const p = await start();
    await command('r1', 'reminder.set');
    await settle(p.runtime, broker, p.store);
    clock.advance(REMINDER_DELAY_MS - 1);
    expect(state(p, 'r1')).to.equal('waiting');
    clock.advance(1);
    await waitFor(() => fired('r1') === 1);
    expect(state(p, 'r1')).to.equal('fired');
    const stored = JSON.parse(p.store.stage('spec.reminder').loadSnapshot('r1')!.snapshot);
    expect(stored.value).to.equal('fired');
    expect(stored.kastorTimers ?? [], "no timer left pending").to.deep.equal([]);
  });

  it('fires after a crash and restart, for the time that was left', async () => {
    const first = await start();
    await command('r2', 'reminder.set');
    await settle(first.runtime, broker, first.store);
    clock.advance(40_000);
    await crash(first);
    const second = await start();
    await settle(second.runtime, broker, second.store);
    clock.advance(19_999);
    expect(fired('r2')).to.equal(0);
    clock.advance(1);
    await waitFor(() => fired('r2') === 1);
    expect(state(second, 'r2')).to.equal('fired');
  });

  it('fires at once on restart when it fell due while the process was down', async () => {
    const first = await start();
    await command('r3', 'reminder.set');
    await settle(first.runtime, broker, first.store);
    await crash(first);
    clock.advance(10 * REMINDER_DELAY_MS);
    const second = await start();
    await waitFor(() => { clock.advance(0); return fired('r3') === 1; });
    expect(state(second, 'r3')).to.equal('fired');
  });

  it('wakes passivated actors when their timers fall due', async () => {
    const p = await start(2);
    for (let i = 0; i < 8; i++) await command(`k${i}`, 'reminder.set');
    await settle(p.runtime, broker, p.store);
    expect(p.runtime.host('spec', 'reminder').liveActors).to.be.at.most(2);
    clock.advance(REMINDER_DELAY_MS);
    await waitFor(() => { clock.advance(0); return fired() === 8; }, { message: () => `8 fired, have ${fired()}` });
    for (let i = 0; i < 8; i++) expect(state(p, `k${i}`)).to.equal('fired');
  });

  it('does not fire a timer the actor cancelled, also across a restart', async () => {
    const first = await start();
    await command('r4', 'reminder.set');
    await command('r4', 'reminder.cancelled');
    await settle(first.runtime, broker, first.store);
    await crash(first);
    const second = await start();
    clock.advance(2 * REMINDER_DELAY_MS);
    await settle(second.runtime, broker, second.store);
    expect(fired('r4')).to.equal(0);
    expect(state(second, 'r4')).to.equal('idle');
  });
});

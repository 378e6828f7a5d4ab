import { expect } from 'chai';
import { SqliteBankReadModel } from '../../../adapters/sqlite/SqliteBankReadModel.js';
import { SqliteStateStore } from '../../../adapters/sqlite/SqliteStateStore.js';
import type { AlertRaised } from '../../../actors/bank/events.js';
import { bankRoutes } from '../../../src/apps/bank/bankRoutes.js';
import type { Producer } from '../../../src/broker/Broker.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { type HttpApp, createHttpApp } from '../../../src/http/createHttpApp.js';
import { silentLogger } from '../../../src/log/Logger.js';
import { waitFor } from '../../support/waitFor.js';
import { Tokens } from '../../support/auth.js';
import { SseReader } from './sse.js';

const HEARTBEAT_MS = 15_000;

const alert = (transactionId: string, userId = 'user_1'): AlertRaised => ({
  id: `alert-${transactionId}`, type: 'bank.alert_raised', key: userId, at: '2026-01-01T12:00:00.000Z', userId, transactionId,
  amountCents: 5_000, currency: 'USD', merchant: 'Acme', thresholdCents: 1_000, thresholdSetAt: '2026-01-01T11:00:00.000Z', cause: 'transaction',
});

describe('alert stream (server-sent events)', function () {
  this.timeout(15_000);
  let store: SqliteStateStore;
  let readModel: SqliteBankReadModel;
  let clock: VirtualClock;
  let http: HttpApp;
  let base: string;
  let tokens: Tokens;
  const open: Array<{ controller: AbortController; sse: SseReader }> = [];

  /** Projects alerts as the runtime would: in a store transaction, then afterCommit. */
  const project = (...alerts: AlertRaised[]) => {
    store.stage(readModel.projection.name).commit({ snapshots: [], outbox: [], offsets: [] }, (tx) => {
      for (const a of alerts) readModel.projection.apply(a, tx);
    });
    readModel.projection.afterCommit?.();
  };
  const connect = async (userId = 'user_1', headers: Record<string, string> = {}) => {
    const controller = new AbortController();
    const res = await fetch(`${base}/bank/users/${userId}/alerts/stream`, { signal: controller.signal, headers: { ...await tokens.header(userId), ...headers } });
    expect(res.status).to.equal(200);
    const sse = new SseReader(res.body!);
    open.push({ controller, sse });
    await sse.until(/retry: 3000\n/);
    return { controller, sse };
  };

  beforeEach(async () => {
    store = new SqliteStateStore(':memory:');
    readModel = new SqliteBankReadModel(store.db);
    clock = new VirtualClock('2026-01-01T12:00:00Z');
    const unused: Producer = { send: async () => [], flush: async () => undefined, close: async () => undefined };
    tokens = await Tokens.spec();
    // Tokens are checked on the system clock; the stream's heartbeats run on the virtual one.
    http = bankRoutes(createHttpApp({ log: silentLogger, auth: tokens.auth }), { producer: unused, readModel, clock, ids: { next: () => 'x' }, heartbeatMs: HEARTBEAT_MS });
    base = await http.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const { controller, sse } of open.splice(0)) {
      controller.abort();
      await sse.cancel();
    }
    const closed = http.close();
    http.server.closeAllConnections();
    await closed;
    store.close();
  });

  it('pushes each committed alert of the user once, and none of other users', async () => {
    const { sse } = await connect('user_1');
    await waitFor(() => readModel.subscribers === 1);
    project(alert('1'), alert('2', 'user_2'));
    project(alert('1')); // redelivered: the read model ignores it
    project(alert('3'));
    await sse.until(/id: alert-3\n/);
    expect(sse.alerts().map((a) => a.alertId)).to.deep.equal(['alert-1', 'alert-3']);
  });

  it('sends a heartbeat comment every interval on the injected clock', async () => {
    const { sse } = await connect();
    await waitFor(() => clock.pendingTimers === 1);
    expect(sse.text).to.not.include(': heartbeat');
    clock.advance(HEARTBEAT_MS - 1);
    project(alert('9')); // a sync point: what was written before it has been received once it arrives
    await sse.until(/id: alert-9\n/);
    expect(sse.text).to.not.include(': heartbeat');
    clock.advance(1);
    await sse.until(/: heartbeat\n\n/);
    clock.advance(HEARTBEAT_MS);
    await sse.until(/(: heartbeat\n\n[^]*){2}/);
    expect(clock.pendingTimers).to.equal(1);
  });

  it('cleans up when the client goes away: no subscription, no timer left', async () => {
    const first = await connect();
    await connect('user_2');
    await waitFor(() => readModel.subscribers === 2 && clock.pendingTimers === 2);
    first.controller.abort();
    await first.sse.cancel();
    await waitFor(() => readModel.subscribers === 1 && clock.pendingTimers === 1, { message: 'the stream to be cleaned up' });
    project(alert('4')); // nobody listens for user_1 any more: nothing breaks
    expect(readModel.alerts('user_1', 10).map((a) => a.alertId)).to.deep.equal(['alert-4']);
  });

  it('replays what a reconnecting client missed after its Last-Event-ID', async () => {
    project(alert('1'), alert('2'), alert('3'), alert('7', 'user_2'));
    const { sse } = await connect('user_1', { 'last-event-id': 'alert-1' });
    await sse.until(/id: alert-3\n/);
    expect(sse.alerts().map((a) => a.alertId)).to.deep.equal(['alert-2', 'alert-3']);
    await waitFor(() => readModel.subscribers === 1);
    project(alert('5'));
    await sse.until(/id: alert-5\n/);
    expect(sse.alerts().map((a) => a.alertId)).to.deep.equal(['alert-2', 'alert-3', 'alert-5']);
  });
});

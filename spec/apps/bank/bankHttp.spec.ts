import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startProcess } from '../../../src/cli/runCommand.js';
import { waitFor, waitForValue } from '../../support/waitFor.js';
import { Tokens } from '../../support/auth.js';
import { namedBy } from '../../support/http.js';
import { insertRows } from './bankFixture.js';
import { SseReader } from './sse.js';

describe('MyBank HTTP services, fed by the SQLite source through CDC', function () {
  this.timeout(30_000);
  let dir: string;
  let proc: RunningProcess;
  let base: string;

  let tokens: Tokens;
  /** As the user the path names (spec/support/http.ts), unless `headers` has its own authorization. */
  const call = async (method: string, path: string, body?: unknown, raw?: string, headers: Record<string, string> = {}) => {
    const who = namedBy(path, body);
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...await tokens.header(who.sub, who.role), ...headers },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  /** Sets a threshold and waits until the read model shows it; returns the event time it got. */
  const setThreshold = async (userId: string, amountCents: number, currency?: string) => {
    const r = await call('POST', `/bank/users/${userId}/threshold`, { amountCents, ...(currency ? { currency } : {}) });
    expect(r.status).to.equal(202);
    await waitFor(async () => (await call('GET', `/bank/users/${userId}/threshold`)).body?.setAt === r.body.at);
    return Date.parse(r.body.at as string);
  };
  const transaction = (userId: string, amountCents: number, atMs: number, currency = 'USD') =>
    insertRows(join(dir, 'bank-source.db'), [[userId, amountCents, currency, 'Acme', new Date(atMs).toISOString()]]);
  const alertsOf = async (userId: string) => (await call('GET', `/bank/users/${userId}/alerts`)).body.items as Array<Record<string, unknown>>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-bank-http-'));
    proc = await startProcess({ apps: ['bank'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${proc.port}`;
    tokens = await Tokens.ofDataDir(dir);
  });
  after(async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('alerts when a new transaction in the source database is above the threshold set before it', async () => {
    const setAt = await setThreshold('user_123', 100_000);
    transaction('user_123', 50_000, setAt + 1_000);
    transaction('user_123', 150_000, setAt + 2_000);
    const items = await waitForValue(async () => { const a = await alertsOf('user_123'); return a.length > 0 ? a : undefined; });
    expect(items).to.have.length(1);
    expect(items[0]).to.include({ userId: 'user_123', amountCents: 150_000, currency: 'USD', thresholdCents: 100_000, merchant: 'Acme', cause: 'transaction' });
    expect(items[0].at).to.equal(new Date(setAt + 2_000).toISOString());
    expect(items[0].thresholdSetAt).to.equal(new Date(setAt).toISOString());
  });

  it('judges by event time: a transaction before the threshold was set never alerts', async () => {
    const setAt = await setThreshold('user_early', 1_000);
    transaction('user_early', 900_000, setAt - 60_000); // recorded a minute before the threshold
    transaction('user_early', 2_000, setAt + 1_000);
    const items = await waitForValue(async () => { const a = await alertsOf('user_early'); return a.length > 0 ? a : undefined; });
    expect(items.map((a) => a.amountCents)).to.deep.equal([2_000]);
  });

  it('after DELETE of the threshold, no alert until a new one is set', async () => {
    const setAt = await setThreshold('user_del', 1_000);
    const r = await call('DELETE', '/bank/users/user_del/threshold');
    expect(r.status).to.equal(202);
    await waitFor(async () => (await call('GET', '/bank/users/user_del/threshold')).body?.amountCents === null);
    // At the very instant of the clear (a change at the transaction's time is in effect for it),
    // and before the next threshold, which comes later by event time.
    const clearedAt = Date.parse(r.body.at);
    transaction('user_del', 500_000, clearedAt);
    const again = await setThreshold('user_del', 1_000);
    transaction('user_del', 7_000, again + 1_000);
    const items = await waitForValue(async () => { const a = await alertsOf('user_del'); return a.length > 0 ? a : undefined; });
    expect(items.map((a) => a.amountCents)).to.deep.equal([7_000]);
    expect(again).to.be.greaterThan(clearedAt);
    expect(clearedAt).to.be.greaterThanOrEqual(setAt);
  });

  it('streams alerts as server-sent events as they are projected', async () => {
    const setAt = await setThreshold('user_sse', 10_000);
    const controller = new AbortController();
    const res = await fetch(`${base}/bank/users/user_sse/alerts/stream`, { signal: controller.signal, headers: await tokens.header('user_sse') });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
    const sse = new SseReader(res.body!);
    await sse.until(/retry: 3000\n/);
    transaction('user_other', 99_999_999, setAt + 500);
    transaction('user_sse', 20_000, setAt + 1_000);
    const [, id] = await sse.until(/id: (alert-\d+)\nevent: alert\n/);
    expect(sse.alerts()).to.have.length(1);
    expect(sse.alerts()[0]).to.include({ alertId: id, userId: 'user_sse', amountCents: 20_000 });
    controller.abort();
    await sse.cancel();
  });

  it('opens the stream with a single-use ticket, for a browser\'s EventSource that cannot send the header', async () => {
    const stream = '/bank/users/user_ticket/alerts/stream';
    const issued = await call('POST', `${stream}/ticket`);
    expect(issued.status).to.equal(201);
    expect(issued.body.ticket).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(issued.body.expiresAt) - Date.now()).to.be.within(20_000, 30_000);
    const open = (ticket: string, path = stream) => fetch(`${base}${path}?ticket=${ticket}`, { signal: AbortSignal.timeout(5_000) });
    // Not on another user's stream, and then not at all: the failed try spent it.
    const elsewhere = await open(issued.body.ticket, '/bank/users/user_other/alerts/stream');
    expect(elsewhere.status).to.equal(401);
    expect(elsewhere.headers.get('www-authenticate')).to.include('error="invalid_token"');
    expect((await open(issued.body.ticket)).status).to.equal(401);

    const fresh = (await call('POST', `${stream}/ticket`)).body.ticket as string;
    const controller = new AbortController();
    const res = await fetch(`${base}${stream}?ticket=${fresh}`, { signal: controller.signal });
    expect(res.status).to.equal(200);
    const sse = new SseReader(res.body!);
    await sse.until(/: alerts of user_ticket\n/);
    controller.abort();
    await sse.cancel();
    expect((await open(fresh)).status, 'a ticket used once').to.equal(401);
    expect((await call('POST', `${stream}/ticket`, undefined, undefined, await tokens.header('user_other'))).status).to.equal(403);
  });

  describe('bad input gets a 400 with a reason', () => {
    const bad = async (method: string, path: string, body?: unknown, raw?: string, headers?: Record<string, string>) => {
      const r = await call(method, path, body, raw, headers);
      expect(r.status, `${method} ${path} ${raw ?? JSON.stringify(body)}`).to.equal(400);
      expect(r.body.error).to.be.a('string').and.not.equal('');
      return r.body.error as string;
    };
    it('rejects thresholds that are not positive integer cents, or in an unknown currency', async () => {
      expect(await bad('POST', '/bank/users/u1/threshold', { amountCents: -5 })).to.include('amountCents');
      expect(await bad('POST', '/bank/users/u1/threshold', { amountCents: 0 })).to.include('amountCents');
      expect(await bad('POST', '/bank/users/u1/threshold', { amountCents: 10.5 })).to.include('amountCents');
      expect(await bad('POST', '/bank/users/u1/threshold', { amountCents: '1000' })).to.include('amountCents');
      expect(await bad('POST', '/bank/users/u1/threshold', { amountCents: 1e16 })).to.include('amountCents');
      expect(await bad('POST', '/bank/users/u1/threshold', {})).to.include('amountCents');
      expect(await bad('POST', '/bank/users/u1/threshold', { amountCents: 100, currency: 'ZZZ' })).to.include('currency');
      expect(await bad('POST', '/bank/users/u1/threshold', undefined)).to.include('JSON body is required');
      expect(await bad('POST', '/bank/users/u1/threshold', undefined, '{nope')).to.match(/not JSON/);
    });
    it('rejects bad user ids, limits and Last-Event-IDs', async () => {
      expect(await bad('POST', '/bank/users/a%20b/threshold', { amountCents: 100 })).to.include('userId');
      expect(await bad('DELETE', `/bank/users/${'x'.repeat(65)}/threshold`)).to.include('userId');
      expect(await bad('GET', '/bank/users/u1/alerts?limit=0')).to.include('limit');
      expect(await bad('GET', '/bank/users/u1/alerts?limit=1000')).to.include('limit');
      expect(await bad('GET', '/bank/users/a%20b/alerts/stream')).to.include('userId');
      expect(await bad('GET', '/bank/users/u1/alerts/stream', undefined, undefined, { 'last-event-id': 'bad id!' })).to.include('Last-Event-ID');
    });
    it('says 404 for a user who never set a threshold, and keeps serving', async () => {
      expect((await call('GET', '/bank/users/nobody/threshold')).status).to.equal(404);
      expect((await call('GET', '/bank/users/nobody/alerts')).body).to.deep.equal({ items: [] });
      expect((await call('PUT', '/bank/users/u1/threshold')).status).to.equal(405);
      expect((await call('GET', '/healthz')).status).to.equal(200);
    });
  });
});

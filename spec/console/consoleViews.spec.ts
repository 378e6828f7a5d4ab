/**
 * The applications' views in the console, over HTTP, in one `kastor run` process hosting all five:
 * each `/console/api/apps/<app>/view` answers an admin with what the app's read model holds after
 * some traffic through the app's real routes, and refuses a user token; a process without the app
 * has no such view.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { opsTopics } from '../../config/ops.js';
import { type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { insertRows } from '../apps/bank/bankFixture.js';
import { Tokens } from '../support/auth.js';
import { jsonClient } from '../support/http.js';
import { waitFor, waitForValue } from '../support/waitFor.js';

const ADMIN = { sub: 'ops', role: 'admin' } as const;

describe('console: the applications\' views', function () {
  this.timeout(40_000);
  let dir: string;
  let proc: RunningProcess;
  let tokens: Tokens;
  const call = jsonClient(() => `http://127.0.0.1:${proc.port}`, () => tokens);
  const view = async (app: string, query = '') => call('GET', `/console/api/apps/${app}/view${query}`, undefined, undefined, ADMIN);
  /** The view once `ready` holds of its body. */
  const viewWhen = (app: string, ready: (body: any) => boolean, query = '') => waitForValue(async () => {
    const r = await view(app, query);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return ready(r.body) ? r.body : undefined;
  });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kastor-console-views-'));
    proc = await startProcess({ apps: ['social', 'bank', 'gettaxi', 'movieflix', 'ops'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
    tokens = await Tokens.ofDataDir(dir);
  });
  after(async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists a view for each hosted application, and refuses a user token on every view', async () => {
    const apps = (await call('GET', '/console/api/apps', undefined, undefined, ADMIN)).body.apps as Array<{ name: string; view: string | null }>;
    expect(Object.fromEntries(apps.map((a) => [a.name, a.view]))).to.deep.equal({
      social: 'MySocialMedia', bank: 'MyBank', gettaxi: 'GetTaxi', movieflix: 'MovieFlix', ops: 'Ops',
    });
    for (const app of ['social', 'bank', 'gettaxi', 'movieflix', 'ops']) {
      expect((await call('GET', `/console/api/apps/${app}/view`, undefined, undefined, 'alice')).status, app).to.equal(403);
      expect((await call('GET', `/console/api/apps/${app}/view`, undefined, undefined, null)).status, app).to.equal(401);
    }
    expect((await view('nosuch')).status).to.equal(404);
    expect((await view('social', '?limit=0')).status).to.equal(400);
  });

  it('social: the newest posts with their like and comment counts, and the trending window', async () => {
    const post = (await call('POST', '/social/posts', { userId: 'alice', text: 'hello #kastor' })).body.postId as string;
    expect((await call('POST', `/social/posts/${post}/likes`, { userId: 'bob' })).status).to.equal(202);
    expect((await call('POST', `/social/posts/${post}/comments`, { userId: 'carol', text: 'nice' })).status).to.equal(202);
    const body = await viewWhen('social', (b) => b.newest.some((p: any) => p.postId === post && p.likes === 1 && p.comments === 1));
    expect(body.newest.find((p: any) => p.postId === post)).to.include({ userId: 'alice', text: 'hello #kastor' });
    expect(body.trending).to.have.keys('windowStart', 'windowEnd', 'items');
    await viewWhen('social', (b) => b.trending.items.some((p: any) => p.postId === post));
  });

  it('bank: the latest alerts per user with the threshold in effect', async () => {
    const r = await call('POST', '/bank/users/u_view/threshold', { amountCents: 10_000 });
    expect(r.status).to.equal(202);
    await waitFor(async () => (await call('GET', '/bank/users/u_view/threshold')).body?.setAt === r.body.at);
    const at = Date.parse(r.body.at as string);
    insertRows(path.join(dir, 'bank-source.db'), [
      ['u_view', 50_000, 'USD', 'Acme', new Date(at + 1_000).toISOString()],
      ['u_view', 5_000, 'USD', 'Acme', new Date(at + 2_000).toISOString()],
    ]);
    const body = await viewWhen('bank', (b) => b.users.some((u: any) => u.userId === 'u_view'));
    const user = body.users.find((u: any) => u.userId === 'u_view');
    expect(user.threshold).to.include({ userId: 'u_view', amountCents: 10_000 });
    expect(user.alerts.map((a: any) => a.amountCents)).to.deep.equal([50_000]);
    expect(user.alerts[0]).to.include({ thresholdCents: 10_000, currency: 'USD', merchant: 'Acme' });
  });

  it('gettaxi: the taxis at their latest position, open rides and surges over the region grid', async () => {
    expect((await call('POST', '/gettaxi/taxis/t_view/position', { lat: 48.8534, lon: 2.3488, available: true })).status).to.equal(202);
    expect((await call('POST', '/gettaxi/taxis/t_view/position', { lat: 48.8561, lon: 2.3522, available: true })).status).to.equal(202);
    const ride = await call('POST', '/gettaxi/rides', { userId: 'rider_view', lat: 48.8602, lon: 2.3412 });
    expect(ride.status).to.equal(202);
    const body = await viewWhen('gettaxi', (b) => b.taxis.some((t: any) => t.taxiId === 't_view' && t.lat === 48.8561)
      && b.rides.some((r: any) => r.rideId === ride.body.rideId));
    expect(body.cellDeg).to.equal(0.01);
    expect(body.taxis.find((t: any) => t.taxiId === 't_view')).to.include({ lon: 2.3522, available: true, state: 'available' });
    const region = body.regions.find((r: any) => r.region === ride.body.region);
    expect(region).to.include({ row: 4886, col: 234 });
    expect(region.requested + region.matched + region.pickedUp).to.equal(1);
    expect(body.bounds).to.deep.equal({ minRow: 4885, maxRow: 4886, minCol: 234, maxCol: 235 });
  });

  it('movieflix: a user\'s resume points, profile and recommendations, with a user picker', async () => {
    const report = (positionSec: number) => call('POST', '/movieflix/positions', {
      userId: 'viewer_1', showId: 'paper-kings', episodeId: 's01e01', positionSec, durationSec: 1_500,
    });
    expect((await report(60)).status).to.equal(202);
    expect((await report(600)).status).to.equal(202);
    const body = await viewWhen('movieflix', (b) => b.resume.some((r: any) => r.positionSec === 600), '?user=viewer_1');
    expect(body.users).to.include('viewer_1');
    expect(body.user).to.equal('viewer_1');
    expect(body.resume[0]).to.include({ showId: 'paper-kings', episodeId: 's01e01' });
    expect(body).to.have.keys('users', 'user', 'resume', 'profile', 'recommendations');
    const first = await viewWhen('movieflix', (b) => b.user !== null);
    expect(first.users).to.include(first.user);
  });

  it('ops: per service, per minute, count/min/max/p50/p99', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    const sample = (name: string, value: number, ms: number, i: number) => ({
      topic: opsTopics.metrics.name, key: 'api_view',
      value: JSON.stringify({ id: `mv${i}`, type: 'metric.sampled', key: 'api_view', at: new Date(minute + ms).toISOString(), service: 'api_view', name, value }),
    });
    // Three samples in one minute; one 75 s later closes it.
    await proc.broker.producer({ profile: 'reliable' }).send([
      sample('latency_ms', 10, 1_000, 1), sample('latency_ms', 30, 2_000, 2), sample('latency_ms', 20, 3_000, 3),
      sample('latency_ms', 1, 75_000, 4),
    ]);
    const body = await viewWhen('ops', (b) => b.services.some((s: any) => s.service === 'api_view' && s.minutes.length > 0));
    const service = body.services.find((s: any) => s.service === 'api_view');
    expect(service.minutes[0].minute).to.equal(new Date(minute).toISOString());
    expect(service.minutes[0].metrics[0]).to.include({ name: 'latency_ms', count: 3, min: 10, max: 30, p50: 20 });
  });
});

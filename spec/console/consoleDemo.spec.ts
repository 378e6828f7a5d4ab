/**
 * `kastor run --demo`: the seeded traffic goes through the applications' own routes (and the bank's
 * CDC source), so each view of the console moves within seconds of the start — with the stages
 * on this thread, and on two worker threads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { Tokens } from '../support/auth.js';
import { jsonClient } from '../support/http.js';
import { waitForValue } from '../support/waitFor.js';

const ADMIN = { sub: 'ops', role: 'admin' } as const;

for (const workers of [1, 2]) describe(`console: kastor run --demo --workers ${workers}`, function () {
  this.timeout(60_000);
  let dir: string;
  let proc: RunningProcess;
  let tokens: Tokens;
  const call = jsonClient(() => `http://127.0.0.1:${proc.port}`, () => tokens);
  const viewWhen = (app: string, ready: (body: any) => boolean, query = '') => waitForValue(async () => {
    const r = await call('GET', `/console/api/apps/${app}/view${query}`, undefined, undefined, ADMIN);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return ready(r.body) ? r.body : undefined;
  }, { timeoutMs: 40_000 });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kastor-console-demo-'));
    proc = await startProcess({ apps: ['social', 'bank', 'gettaxi', 'movieflix'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', demo: true, workers });
    tokens = await Tokens.ofDataDir(dir);
  });
  after(async () => {
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('moves every view: posts and likes, taxis and rides, viewers, alerts', async () => {
    const social = await viewWhen('social', (b) => b.newest.length >= 3 && b.newest.some((p: any) => p.likes >= 2));
    expect(social.newest[0].userId).to.match(/^fan_/);
    const taxi = await viewWhen('gettaxi', (b) => b.taxis.length === 10 && b.rides.length > 0);
    expect(taxi.taxis.every((t: any) => /^taxi_\d+$/.test(t.taxiId))).to.equal(true);
    await viewWhen('gettaxi', (b) => b.taxis.some((t: any) => t.state === 'on ride'));
    const flix = await viewWhen('movieflix', (b) => b.users.length === 6 && b.profile.length > 0 && b.resume.length > 0);
    expect(flix.user).to.match(/^viewer_/);
    const bank = await viewWhen('bank', (b) => b.users.length > 0);
    expect(bank.users[0].threshold).to.include({ amountCents: 50_000 });
    expect(bank.users[0].alerts[0].amountCents).to.be.greaterThan(50_000);
    const overview = await call('GET', '/console/api/overview', undefined, undefined, ADMIN);
    expect(overview.body.healthy).to.equal(true);
  });
});

/**
 * The console as a person uses it: `kastor run social gettaxi` in a child process, Debian's Chromium driven
 * by playwright-core. The admin token is typed into the page's form; likes sent over HTTP move the
 * overview's numbers; the inspector shows the post's likers; the MySocialMedia tab shows the post's
 * like count; the GetTaxi map shows a taxi once its position is posted; no console error on the way. Each view
 * is photographed (into docs/img/ with KASTOR_SCREENSHOTS=1: the README shows them).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { type Browser, type Page, chromium } from 'playwright-core';
import { opsTopics } from '../../config/ops.js';
import { type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { insertRows } from '../apps/bank/bankFixture.js';
import { Tokens } from '../support/auth.js';
import { type KastorChild, postJson, startKastor, stopKastor } from '../support/childProcess.js';
import { skipFor } from '../support/skipTally.js';
import { waitFor } from '../support/waitFor.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The README's pictures: `KASTOR_SCREENSHOTS=1` writes them to docs/img/; otherwise they go to a
// temporary directory, so that a test run does not change the checkout.
const SHOTS = process.env.KASTOR_SCREENSHOTS ? path.resolve(import.meta.dirname, '../../docs/img') : mkdtempSync(path.join(tmpdir(), 'kastor-console-shots-'));

after(() => {
  if (!process.env.KASTOR_SCREENSHOTS) rmSync(SHOTS, { recursive: true, force: true });
});

/** Skips without Chromium, as other specs skip without Kafka; in CI (which installs it) fails. */
function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.CI) throw new Error(`CI=true but no browser at ${CHROMIUM}: .ci/run installs chromium`);
  skipFor(ctx, 'Chromium', `no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
}

/** A page in a fresh Chromium that notes every console error, page error and 4xx/5xx response. */
async function openPage(height: number, problems: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  return { browser, page };
}

describe('the console in a real browser', function () {
  this.timeout(60_000);
  let dir: string;
  let child: KastorChild;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    requireChromium(this);
    dir = mkdtempSync(path.join(tmpdir(), 'kastor-console-'));
    child = await startKastor({ dataDir: dir, args: ['social', 'gettaxi'] });
    ({ browser, page } = await openPage(900, problems));
  });

  after(async () => {
    await browser?.close();
    if (child) await stopKastor(child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const user = async (sub: string) => ({ headers: await child.tokens.header(sub) });
  const cell = (stage: string, field: string) => page.locator(`tr[data-stage="${stage}"] td[data-field="${field}"]`);
  const count = async (stage: string, field: string) => Number((await cell(stage, field).textContent())!.replace(/,/g, ''));

  it('asks for the admin token, refuses a user token, then shows every stage live', async () => {
    await page.goto(`${child.base}/console`);
    await page.locator('#token').fill(await child.tokens.token('mallory', 'user'));
    await page.locator('#token-form button').click();
    await page.locator('#login-error').filter({ hasText: 'refused' }).waitFor();
    // The refused token's 403 is a failed load the browser logs: expected here, not later.
    problems.length = 0;

    await page.locator('#token').fill(await child.tokens.token('ops', 'admin'));
    await page.locator('#token-form button').click();
    await cell('social.post', 'eventsIn').waitFor();
    expect(await page.locator('#health').textContent()).to.equal('healthy · ready');
    expect(await page.locator('tr[data-stage]').count()).to.be.greaterThan(2);
  });

  let postId: string;

  it('moves the overview\'s numbers when likes are sent over HTTP', async () => {
    const before = await count('social.post', 'eventsIn');
    const created = await postJson(child.base, '/social/posts', { text: 'look at the console' }, await user('alice'));
    expect(created.status).to.equal(202);
    postId = ((await created.json()) as { postId: string }).postId;
    for (const liker of ['bob', 'carol']) {
      expect((await postJson(child.base, `/social/posts/${postId}/likes`, {}, await user(liker))).status).to.equal(202);
    }
    await page.waitForFunction(
      ({ n }) => Number(document.querySelector('tr[data-stage="social.post"] td[data-field="eventsIn"]')?.textContent?.replace(/,/g, '')) >= n,
      { n: before + 3 }, { timeout: 15_000 },
    );
    expect(await count('social.post', 'liveActors')).to.be.greaterThan(0);
    // The chart has points to draw by now (one a second).
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: path.join(SHOTS, 'console-overview.png'), fullPage: true });
  });

  it('opens the inspector on the post and shows its likers', async () => {
    await page.locator('a[data-nav="inspector"]').click();
    await page.locator('#inspect-app').selectOption('social');
    await page.locator('#inspect-entity').selectOption('post');
    // The key field suggests the stored keys that start with what is typed.
    await page.locator('#inspect-key').fill(postId.slice(0, -2));
    await page.locator(`#inspect-keys option[value="${postId}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await page.locator('#inspect-key').fill(postId);
    await page.locator('#inspect-form button').click();
    await page.locator('#entity-context').filter({ hasText: 'carol' }).waitFor({ timeout: 10_000 });
    const context = JSON.parse((await page.locator('#entity-context').textContent())!) as { likers: string[][]; userId: string };
    expect(context.likers.flat().sort()).to.deep.equal(['bob', 'carol']);
    expect(context.userId).to.equal('alice');
    expect(await page.locator('#entity-live').textContent()).to.include('live');
    expect(await page.locator('#entity-bytes').textContent()).to.match(/\d+ bytes/);
    // The likes that reached it, and the counts it emitted.
    await page.locator('#entity-inputs td', { hasText: 'post.liked' }).first().waitFor({ timeout: 10_000 });
    await page.locator('#entity-outputs td', { hasText: 'streaming.social.posts_with_counts' }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, 'console-inspector.png'), fullPage: true });
  });

  it('shows the post\'s like count in the MySocialMedia tab, moving as likes arrive', async () => {
    await page.locator('a[data-nav="app-social"]').click();
    const likes = page.locator(`#app-social td[data-likes="${postId}"]`);
    await likes.filter({ hasText: /^2$/ }).waitFor({ timeout: 10_000 });
    expect((await postJson(child.base, `/social/posts/${postId}/likes`, {}, await user('dave'))).status).to.equal(202);
    await likes.filter({ hasText: /^3$/ }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(SHOTS, 'console-social.png'), fullPage: true });
  });

  it('shows a taxi on the GetTaxi map once its position is posted', async () => {
    await page.locator('a[data-nav="app-gettaxi"]').click();
    const taxi = async (taxiId: string, lat: number, lon: number, available = true) => {
      const r = await postJson(child.base, `/gettaxi/taxis/${taxiId}/position`, { lat, lon, available }, { headers: await child.tokens.header(taxiId, 'taxi') });
      expect(r.status).to.equal(202);
    };
    await taxi('taxi_1', 48.8534, 2.3488);
    await page.locator('#taxi-map circle[data-taxi="taxi_1"].available').waitFor({ timeout: 10_000 });
    // A few more, and a rider asking for a ride next to one: the map shows the ride open in its
    // region until it ends.
    await taxi('taxi_2', 48.8712, 2.3320);
    await taxi('taxi_3', 48.8466, 2.3700, false);
    await page.locator('#taxi-map circle[data-taxi="taxi_3"].off-duty').waitFor({ timeout: 10_000 });
    expect((await postJson(child.base, '/gettaxi/rides', { userId: 'rider_1', lat: 48.8715, lon: 2.3322 }, await user('rider_1'))).status).to.equal(202);
    await page.locator('#taxi-map text.rides').first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: path.join(SHOTS, 'console-gettaxi.png'), fullPage: true });
  });

  it('lists the dead-letter topic of the application, with no console error on the way', async () => {
    await page.locator('a[data-nav="dead-letters"]').click();
    await page.locator('#dlq-topic').filter({ hasText: 'queuing.social.dead_letters: 0 records' }).waitFor();
    expect(problems).to.deep.equal([]);
  });
});

// A record that is not JSON can only be written under the HTTP edge: this process runs in the
// spec's own, where its broker is at hand (the same startProcess `kastor run` calls).
describe('re-driving a dead letter from the console', function () {
  this.timeout(60_000);
  let dir: string;
  let proc: RunningProcess;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    requireChromium(this);
    dir = mkdtempSync(path.join(tmpdir(), 'kastor-console-dlq-'));
    proc = await startProcess({ apps: ['social'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
    ({ browser, page } = await openPage(700, problems));
  });

  after(async () => {
    await browser?.close();
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the reason, re-drives the record and shows it came back', async () => {
    const producer = proc.broker.producer();
    await producer.send([{ topic: 'tracking.social.likes', key: 'post_broken', value: '{"type":"post.liked"', headers: {} }]);
    await producer.close();
    const admin = await (await Tokens.ofDataDir(dir)).token('ops', 'admin');
    await page.goto(`http://127.0.0.1:${proc.port}/console#dead-letters`);
    await page.locator('#token').fill(admin);
    await page.locator('#token-form button').click();
    const rows = page.locator('#dlq tbody tr');
    await waitFor(async () => {
      await page.locator('#dlq-form button').click();
      return (await rows.count()) > 0;
    }, { message: () => 'the dead letter in the table' });
    expect(await rows.first().locator('td.reason').textContent()).to.not.equal('');
    await rows.first().locator('button').click();
    await page.locator('#dlq-message').filter({ hasText: 're-driven queuing.social.dead_letters/' }).waitFor();
    // Still broken: it fails again, and its new dead letter says where it was re-driven from.
    await waitFor(async () => {
      await page.locator('#dlq-form button').click();
      return (await page.locator('#dlq tbody tr', { hasText: 're-driven from' }).count()) > 0;
    }, { message: () => 'the re-driven record\'s own dead letter' });
    // Both (the first and its re-driven copy) failed for the same reason: one button re-drives them.
    await page.locator('#dlq-reasons button', { hasText: 'Re-drive all 2' }).click();
    await page.locator('#dlq-message').filter({ hasText: 're-driven 2 for' }).waitFor();
    // The demo traffic's switch, on and off again.
    await page.locator('#demo', { hasText: 'Demo traffic: off' }).click();
    await page.locator('#demo', { hasText: 'Demo traffic: on' }).click();
    await page.locator('#demo', { hasText: 'Demo traffic: off' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'console-dead-letters.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });
});

// MyBank, MovieFlix and Ops in one process of the spec's own, where the broker is at hand for the
// ops samples (as the collector would send them) and the bank's source database for transactions.
describe('the MyBank, MovieFlix and Ops tabs', function () {
  this.timeout(60_000);
  let dir: string;
  let proc: RunningProcess;
  let tokens: Tokens;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async function () {
    requireChromium(this);
    dir = mkdtempSync(path.join(tmpdir(), 'kastor-console-tabs-'));
    proc = await startProcess({ apps: ['bank', 'movieflix', 'ops'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
    tokens = await Tokens.ofDataDir(dir);
    ({ browser, page } = await openPage(800, problems));
    await page.goto(`http://127.0.0.1:${proc.port}/console`);
    await page.locator('#token').fill(await tokens.token('ops', 'admin'));
    await page.locator('#token-form button').click();
    await page.locator('a[data-nav="app-bank"]').waitFor();
  });

  after(async () => {
    await browser?.close();
    await proc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const base = () => `http://127.0.0.1:${proc.port}`;
  const as = async (sub: string, role: 'user' | 'service' = 'user') => ({ headers: await tokens.header(sub, role) });

  it('shows each user\'s alerts with the threshold in effect', async () => {
    for (const [user, cents] of [['user_ana', 100_000], ['user_ben', 20_000]] as const) {
      const r = await postJson(base(), `/bank/users/${user}/threshold`, { amountCents: cents }, await as(user));
      expect(r.status).to.equal(202);
    }
    await page.locator('a[data-nav="app-bank"]').click();
    // Transactions dated a minute after now: after the thresholds, whenever they were projected.
    const at = (s: number) => new Date(Date.now() + 60_000 + s * 1_000).toISOString();
    insertRows(path.join(dir, 'bank-source.db'), [
      ['user_ana', 250_000, 'USD', 'Acme Travel', at(1)], ['user_ben', 25_000, 'USD', 'Corner Shop', at(2)],
      ['user_ben', 90_000, 'USD', 'Big Screens', at(3)], ['user_ana', 1_000, 'USD', 'Bakery', at(4)],
    ]);
    await page.locator('#app-bank h3', { hasText: 'user_ben' }).waitFor({ timeout: 15_000 });
    await page.locator('#app-bank td', { hasText: 'Big Screens' }).waitFor({ timeout: 15_000 });
    await page.locator('#app-bank h3', { hasText: 'user_ana' }).filter({ hasText: 'threshold 1000.00 USD' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(SHOTS, 'console-bank.png'), fullPage: true });
  });

  it('shows a user\'s resume points and profile, picked from the list', async () => {
    const report = async (userId: string, showId: string, episodeId: string, positionSec: number) => {
      const r = await postJson(base(), '/movieflix/positions', { userId, showId, episodeId, positionSec, durationSec: 1_500 }, await as(userId));
      expect(r.status).to.equal(202);
    };
    await report('viewer_a', 'paper-kings', 's01e01', 1_500);
    await report('viewer_a', 'paper-kings', 's01e02', 420);
    await report('viewer_b', 'paper-kings', 's01e01', 60);
    await page.locator('a[data-nav="app-movieflix"]').click();
    const picker = page.locator('#app-movieflix select');
    await picker.locator('option[value="viewer_a"]').waitFor({ state: 'attached', timeout: 15_000 });
    await picker.selectOption('viewer_a');
    await page.locator('#app-movieflix td', { hasText: 's01e02' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(SHOTS, 'console-movieflix.png'), fullPage: true });
  });

  it('charts per service and metric the per-minute percentiles', async () => {
    const start = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const samples = [];
    for (let m = 0; m <= 10; m++) {
      for (let i = 0; i < 20; i++) {
        const at = new Date(start + m * 60_000 + i * 2_500).toISOString();
        const value = 20 + 10 * Math.sin(m / 2) + i * (1 + m % 3);
        samples.push({ topic: opsTopics.metrics.name, key: 'api', value: JSON.stringify({ id: `s${m}_${i}`, type: 'metric.sampled', key: 'api', at, service: 'api', name: 'latency_ms', value }) });
      }
    }
    const producer = proc.broker.producer();
    await producer.send(samples);
    await producer.close();
    await page.locator('a[data-nav="app-ops"]').click();
    await page.locator('#app-ops figure[data-metric="api/latency_ms"] canvas').waitFor({ timeout: 15_000 });
    await page.locator('#app-ops figcaption', { hasText: '20 samples' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(SHOTS, 'console-ops.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });
});

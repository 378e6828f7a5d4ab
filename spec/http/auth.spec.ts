/**
 * Every route of every application, as `kastor run` registers them (collected with fastify's
 * onRoute hook, so that a new route is in the walk without anyone adding it), against every kind
 * of caller: no token, a garbage token, an expired one, one signed by another key, one naming a key
 * the process does not hold, the right subject, another subject, a role the route does not take.
 * Each gets exactly the expected status, and a refused request produces nothing: the memory
 * broker's topics hold as many records after it as before.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore, openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import type { HostedApp } from '../../src/apps/AppModule.js';
import { APP_MODULES } from '../../src/apps/index.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import type { EventEnvelope } from '../../src/events/EventSchema.js';
import { allTopics } from '../../src/host/topology.js';
import { KeyRing, type Principal, type Role } from '../../src/http/auth/index.js';
import { type HttpApp, createHttpApp } from '../../src/http/createHttpApp.js';
import { processRoutes } from '../../src/http/processRoutes.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { silentLogger } from '../../src/log/Logger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { topicSpec } from '../../src/topics/TopicDeclaration.js';
import { specKeys } from '../support/auth.js';

const HOUR = 3_600_000;
const user = (sub: string): Principal => ({ sub, role: 'user' });
const taxi = (sub: string): Principal => ({ sub, role: 'taxi' });
const admin: Principal = { sub: 'ops', role: 'admin' };

/** What the right caller sends, who that is, and what it gets. */
interface RouteCase {
  readonly path: string;
  readonly body?: unknown;
  /** The caller the route is for; undefined for a public route. */
  readonly owner?: Principal;
  /** Another subject of a role the route takes, sending the same request: 403. Absent: the route is anyone's of that role. */
  readonly other?: Principal;
  /** A role the route does not take. */
  readonly wrongRole?: Role;
  /** The owner's status. */
  readonly status: number;
  /** Whether the owner's request produces a record (a write). */
  readonly produces: boolean;
}

// Seeded below: a post by author_1 and a ride of rider_1, so that the routes on them answer 2xx.
const POST = 'post_seeded';
const RIDE = 'ride_seeded';
const position = { showId: 'paper-kings', episodeId: 's01e01', positionSec: 60, durationSec: 1500 };

/** One row per route, keyed `METHOD /pattern`; a route missing here fails the walk. */
const CASES: Readonly<Record<string, RouteCase>> = {
  'GET /healthz': { path: '/healthz', status: 200, produces: false },
  'GET /readyz': { path: '/readyz', status: 200, produces: false },
  'GET /metrics': { path: '/metrics', owner: admin, wrongRole: 'user', status: 200, produces: false },

  'POST /social/posts': { path: '/social/posts', body: { userId: 'poster', text: 'hi' }, owner: user('poster'), other: user('mallory'), wrongRole: 'taxi', status: 202, produces: true },
  'DELETE /social/posts/:postId': { path: `/social/posts/${POST}`, owner: user('author_1'), other: user('mallory'), wrongRole: 'service', status: 202, produces: true },
  'POST /social/posts/:postId/likes': { path: `/social/posts/${POST}/likes`, body: { userId: 'liker' }, owner: user('liker'), other: user('mallory'), wrongRole: 'taxi', status: 202, produces: true },
  'DELETE /social/posts/:postId/likes/:userId': { path: `/social/posts/${POST}/likes/liker`, owner: user('liker'), other: user('mallory'), wrongRole: 'admin', status: 202, produces: true },
  'POST /social/posts/:postId/comments': { path: `/social/posts/${POST}/comments`, body: { userId: 'commenter', text: 'nice' }, owner: user('commenter'), other: user('mallory'), wrongRole: 'service', status: 202, produces: true },
  'GET /social/posts/:postId': { path: `/social/posts/${POST}`, owner: user('reader'), wrongRole: 'taxi', status: 200, produces: false },
  'GET /social/feed': { path: '/social/feed', owner: user('reader'), wrongRole: 'taxi', status: 200, produces: false },
  'GET /social/trending': { path: '/social/trending', owner: user('reader'), wrongRole: 'taxi', status: 200, produces: false },

  'POST /bank/users/:userId/threshold': { path: '/bank/users/user_123/threshold', body: { amountCents: 100_000 }, owner: user('user_123'), other: user('mallory'), wrongRole: 'admin', status: 202, produces: true },
  'DELETE /bank/users/:userId/threshold': { path: '/bank/users/user_123/threshold', owner: user('user_123'), other: user('mallory'), wrongRole: 'service', status: 202, produces: true },
  'GET /bank/users/:userId/threshold': { path: '/bank/users/user_123/threshold', owner: user('user_123'), other: user('mallory'), wrongRole: 'admin', status: 404, produces: false },
  'GET /bank/users/:userId/alerts': { path: '/bank/users/user_123/alerts', owner: user('user_123'), other: user('mallory'), wrongRole: 'admin', status: 200, produces: false },
  'POST /bank/users/:userId/alerts/stream/ticket': { path: '/bank/users/user_123/alerts/stream/ticket', owner: user('user_123'), other: user('mallory'), wrongRole: 'taxi', status: 201, produces: false },
  'GET /bank/users/:userId/alerts/stream': { path: '/bank/users/user_123/alerts/stream', owner: user('user_123'), other: user('mallory'), wrongRole: 'admin', status: 200, produces: false },

  'POST /movieflix/positions': { path: '/movieflix/positions', body: { userId: 'viewer', ...position }, owner: user('viewer'), other: user('mallory'), wrongRole: 'taxi', status: 202, produces: true },
  'GET /movieflix/users/:userId/resume/:showId': { path: '/movieflix/users/viewer/resume/paper-kings', owner: user('viewer'), other: user('mallory'), wrongRole: 'service', status: 404, produces: false },
  'GET /movieflix/users/:userId/recommendations': { path: '/movieflix/users/viewer/recommendations', owner: user('viewer'), other: user('mallory'), wrongRole: 'service', status: 200, produces: false },
  'GET /movieflix/users/:userId/profile': { path: '/movieflix/users/viewer/profile', owner: user('viewer'), other: user('mallory'), wrongRole: 'admin', status: 200, produces: false },

  'POST /gettaxi/users/:userId/position': { path: '/gettaxi/users/rider_1/position', body: { lat: 48.85, lon: 2.35 }, owner: user('rider_1'), other: user('mallory'), wrongRole: 'taxi', status: 202, produces: true },
  'POST /gettaxi/taxis/:taxiId/position': { path: '/gettaxi/taxis/taxi_1/position', body: { lat: 48.85, lon: 2.35, available: true }, owner: taxi('taxi_1'), other: taxi('taxi_2'), wrongRole: 'user', status: 202, produces: true },
  'POST /gettaxi/rides': { path: '/gettaxi/rides', body: { userId: 'rider_2', lat: 48.85, lon: 2.35 }, owner: user('rider_2'), other: user('mallory'), wrongRole: 'taxi', status: 202, produces: true },
  'GET /gettaxi/rides/:rideId': { path: `/gettaxi/rides/${RIDE}`, owner: user('rider_1'), other: taxi('taxi_2'), wrongRole: 'service', status: 200, produces: false },
  // The seeded ride is only requested: a report is refused (400/409) after the checks, and produces nothing.
  'POST /gettaxi/rides/:rideId/pickup': { path: '/gettaxi/rides/ride_none/pickup', body: { taxiId: 'taxi_1' }, owner: taxi('taxi_1'), other: taxi('taxi_2'), wrongRole: 'user', status: 400, produces: false },
  'POST /gettaxi/rides/:rideId/dropoff': { path: '/gettaxi/rides/ride_none/dropoff', body: { taxiId: 'taxi_1' }, owner: taxi('taxi_1'), other: taxi('taxi_2'), wrongRole: 'user', status: 400, produces: false },
  'GET /gettaxi/estimate': { path: '/gettaxi/estimate?lat=48.85&lon=2.35', owner: user('reader'), wrongRole: 'taxi', status: 200, produces: false },

  'GET /ops/metrics/:service': { path: '/ops/metrics/kastor', owner: admin, wrongRole: 'user', status: 404, produces: false },
};

type Variant = 'no token' | 'garbage' | 'expired' | 'other key' | 'unknown kid' | 'right subject' | 'other subject' | 'wrong role';
const VARIANTS: readonly Variant[] = ['no token', 'garbage', 'expired', 'other key', 'unknown kid', 'right subject', 'other subject', 'wrong role'];
const REFUSAL: Partial<Record<Variant, string>> = {
  'no token': 'missing', garbage: 'malformed', expired: 'expired', 'other key': 'bad_signature', 'unknown kid': 'unknown_kid',
};

describe('authentication and authorisation on every route of every application', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: MemoryBroker;
  let store: SqliteStateStore;
  let readDb: ReturnType<typeof openDatabase>;
  let http: HttpApp;
  let base: string;
  let keys: KeyRing;
  let forged: KeyRing;
  let stranger: KeyRing;
  const metrics = new Metrics();
  const routes: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-auth-'));
    broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    store = new SqliteStateStore(join(dir, 'state.db'));
    readDb = openDatabase(join(dir, 'state.db'));
    keys = await specKeys('spec', 7);
    forged = await specKeys('spec', 8); // the same kid, another secret: a forgery
    stranger = await specKeys('elsewhere', 9);
    const clock = new SystemClock();
    const producer = broker.producer({ clientId: 'auth-spec-edge' });
    const ctx = { db: store.db, readDb, dataDir: dir, transport: 'memory' as const, broker, producer, clock, ids: seededIdSource(3), logger: silentLogger, metrics, env: {} };
    const hosted: HostedApp[] = Object.values(APP_MODULES).map((module) => module.host(ctx));
    await broker.admin.createTopics(hosted.flatMap((h) => allTopics(h.definition)).map((t) => topicSpec(t, 'local')));
    seed(hosted);

    http = createHttpApp({ log: silentLogger, metrics, auth: { keys, clock } });
    http.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
    });
    processRoutes(http, { healthy: () => true, readiness: () => ({ ready: true }), metrics: () => metrics.render() });
    for (const h of hosted) h.routes(http);
    await http.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    const closed = http?.close();
    http?.server.closeAllConnections();
    await closed;
    await broker?.close();
    readDb?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A post by author_1 and a requested ride of rider_1, through the apps' own projections. */
  function seed(hosted: readonly HostedApp[]): void {
    const at = new Date().toISOString();
    const events: EventEnvelope[] = [
      { id: 's1', type: 'post.counts_changed', key: POST, at, postId: POST, userId: 'author_1', text: 'seeded', hashtags: [], createdAt: at, likes: 0, comments: 0, deleted: false, version: 1, activity: [] },
      { id: 's2', type: 'ride.requested', key: 'rider_1', at, rideId: RIDE, userId: 'rider_1', lat: 48.85, lon: 2.35, region: 'r_4885_235', surge: 1 },
    ] as unknown as EventEnvelope[];
    const takes = (schema: { parse(v: unknown): unknown }, event: EventEnvelope) => {
      try {
        schema.parse(event);
        return true;
      } catch {
        return false;
      }
    };
    for (const event of events) {
      const projection = hosted.flatMap((h) => h.definition.projections ?? [])
        .find((p) => [...p.inputs.values()].some((schema) => takes(schema, event)));
      if (!projection) throw new Error(`no projection takes ${event.type}`);
      store.stage(projection.name).commit({ snapshots: [], outbox: [], offsets: [] }, (tx) => projection.apply(event, tx));
      projection.afterCommit?.();
    }
  }

  /** Records on every topic of the broker. */
  async function recordCount(): Promise<number> {
    let n = 0;
    for (const t of await broker.admin.listTopics()) {
      for (let partition = 0; partition < t.partitions; partition++) n += (await broker.admin.watermarks({ topic: t.name, partition })).high;
    }
    return n;
  }

  async function authorization(variant: Variant, c: RouteCase): Promise<string | undefined> {
    const now = Date.now();
    const owner = c.owner ?? user('anyone');
    switch (variant) {
      case 'no token': return undefined;
      case 'garbage': return 'Bearer not-a-token';
      case 'expired': return `Bearer ${await keys.issue(owner, { now: now - 2 * HOUR, ttlMs: HOUR })}`;
      case 'other key': return `Bearer ${await forged.issue(owner, { now, ttlMs: HOUR })}`;
      case 'unknown kid': return `Bearer ${await stranger.issue(owner, { now, ttlMs: HOUR })}`;
      case 'right subject': return `Bearer ${await keys.issue(owner, { now, ttlMs: HOUR })}`;
      case 'other subject': return `Bearer ${await keys.issue(c.other ?? owner, { now, ttlMs: HOUR })}`;
      case 'wrong role': return `Bearer ${await keys.issue({ sub: owner.sub, role: c.wrongRole ?? owner.role }, { now, ttlMs: HOUR })}`;
    }
  }

  function expected(variant: Variant, c: RouteCase): number {
    if (!c.owner) return c.status;
    if (REFUSAL[variant]) return 401;
    if (variant === 'right subject') return c.status;
    if (variant === 'other subject') return c.other ? 403 : c.status;
    return 403;
  }

  /** The status, and the challenge header; an event stream is closed once its head arrived. */
  async function send(method: string, c: RouteCase, auth: string | undefined): Promise<{ status: number; challenge: string | null; text: string }> {
    const controller = new AbortController();
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) };
    const res = await fetch(base + c.path, { method, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body), signal: controller.signal });
    const streaming = res.headers.get('content-type')?.startsWith('text/event-stream');
    const text = streaming ? '' : await res.text();
    if (streaming) controller.abort();
    return { status: res.status, challenge: res.headers.get('www-authenticate'), text };
  }

  it('has a row for every route the applications register, and no row for a route they do not', () => {
    expect(routes.length).to.be.greaterThan(20);
    expect(routes.filter((r) => !CASES[r]), 'routes with no row here: add one').to.deep.equal([]);
    expect(Object.keys(CASES).filter((r) => !routes.includes(r)), 'rows for routes that are gone').to.deep.equal([]);
  });

  it('answers each caller of each route exactly, and produces nothing for a refused one', async () => {
    const mismatches: string[] = [];
    const refusals = new Map<string, number>();
    for (const route of routes) {
      const c = CASES[route];
      const method = route.slice(0, route.indexOf(' '));
      for (const variant of VARIANTS) {
        const want = expected(variant, c);
        const before = await recordCount();
        const got = await send(method, c, await authorization(variant, c));
        const produced = (await recordCount()) - before;
        const where = `${route} with ${variant}`;
        if (got.status !== want) mismatches.push(`${where}: ${got.status}, expected ${want} (${got.text})`);
        if (want === 401 && !got.challenge?.startsWith('Bearer realm="kastor"')) mismatches.push(`${where}: no WWW-Authenticate Bearer challenge`);
        if (variant === 'no token' && want === 401 && got.challenge !== 'Bearer realm="kastor"') mismatches.push(`${where}: ${got.challenge}`);
        if (want === 401 && variant !== 'no token' && !got.challenge?.includes('error="invalid_token"')) mismatches.push(`${where}: ${got.challenge}`);
        const writes = c.produces && want === c.status && want < 300;
        if (writes && produced === 0) mismatches.push(`${where}: answered ${got.status} but produced nothing`);
        if (!writes && produced !== 0) mismatches.push(`${where}: answered ${got.status} and produced ${produced} record(s)`);
        if (want === 401) refusals.set(REFUSAL[variant]!, (refusals.get(REFUSAL[variant]!) ?? 0) + 1);
        if (want === 403) {
          const reason = variant === 'wrong role' ? 'wrong_role' : 'wrong_subject';
          refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
        }
      }
    }
    expect(mismatches).to.deep.equal([]);
    // Every refusal is counted, by its reason.
    for (const [reason, n] of refusals) expect(metrics.value('kastor_http_auth_refusals_total', { reason }), reason).to.equal(n);
  });
});

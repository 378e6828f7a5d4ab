import { expect } from 'chai';
import { z } from 'zod';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { type KeyRing, type RateLimits, parseRateLimits } from '../../../src/http/auth/index.js';
import { type HttpApp, createHttpApp } from '../../../src/http/createHttpApp.js';
import { silentLogger } from '../../../src/log/Logger.js';
import { Metrics } from '../../../src/metrics/Metrics.js';
import { specKeys } from '../../support/auth.js';

const T = Date.parse('2026-06-01T12:00:00Z');

describe('route access rules on the edge', () => {
  let keys: KeyRing;
  let clock: VirtualClock;
  let metrics: Metrics;
  let app: HttpApp;
  const bearer = async (sub: string, role: 'user' | 'taxi' | 'service' | 'admin' = 'user') =>
    ({ authorization: `Bearer ${await keys.issue({ sub, role }, { now: clock.now(), ttlMs: 3_600_000 })}` });
  const make = (rateLimits?: RateLimits) => {
    metrics = new Metrics();
    app = createHttpApp({ log: silentLogger, metrics, auth: { keys, clock, rateLimits, ticketTtlMs: 30_000 } });
    return app;
  };

  beforeEach(async () => {
    keys = await specKeys();
    clock = new VirtualClock(T);
  });
  afterEach(async () => app?.close());

  it('refuses to register a route that states no rule, or a rule that cannot hold', () => {
    make();
    expect(() => app.get('/open', async () => 'anyone')).to.throw(/route GET \/open states no auth rule/);
    expect(() => app.get('/users/:id', { config: { auth: { roles: ['user'], subject: { param: 'userId' } } } }, async () => 'x'))
      .to.throw(/names the path parameter userId, which the path does not have/);
    expect(() => app.post('/t', { config: { auth: { roles: ['user'], subject: 'any', ticket: true } } }, async () => 'x')).to.throw(/tickets are for GET/);
    expect(() => app.get('/none', { config: { auth: { roles: [], subject: 'any' } } }, async () => 'x')).to.throw(/names no role/);
  });

  it('takes the body\'s subject from the token when it is left out, and refuses one naming someone else', async () => {
    make();
    app.post('/likes', { schema: { body: z.object({ userId: z.string(), n: z.number().optional() }) }, config: { auth: { roles: ['user', 'service'], subject: { body: 'userId' }, anySubject: ['service'] } } },
      async (req) => req.body);
    const post = async (payload: string | undefined, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/likes', payload, headers: { 'content-type': 'application/json', ...headers } });
    expect((await post('{"n":1}', await bearer('alice'))).json()).to.deep.equal({ userId: 'alice', n: 1 });
    expect((await post(undefined, await bearer('alice'))).json()).to.deep.equal({ userId: 'alice' });
    const other = await post('{"userId":"bob"}', await bearer('alice'));
    expect([other.statusCode, other.json()]).to.deep.equal([403, { error: 'alice may not act as bob' }]);
    // A service acts for its users: it names them, and must.
    expect((await post('{"userId":"bob"}', await bearer('player', 'service'))).json()).to.deep.equal({ userId: 'bob' });
    expect((await post('{}', await bearer('player', 'service'))).statusCode).to.equal(400);
    expect(metrics.value('kastor_http_auth_refusals_total', { reason: 'wrong_subject', route: '/likes' })).to.equal(1);
  });

  it('checks HEAD as its GET, and answers an unknown route 404 whoever asks', async () => {
    make();
    app.get('/mine/:userId', { config: { auth: { roles: ['user'], subject: { param: 'userId' } } } }, async () => ({ ok: true }));
    expect((await app.inject({ method: 'HEAD', url: '/mine/alice' })).statusCode).to.equal(401);
    expect((await app.inject({ method: 'HEAD', url: '/mine/alice', headers: await bearer('bob') })).statusCode).to.equal(403);
    expect((await app.inject({ method: 'HEAD', url: '/mine/alice', headers: await bearer('alice') })).statusCode).to.equal(200);
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).to.equal(404);
    const malformed = await app.inject({ method: 'GET', url: '/mine/alice', headers: { authorization: 'Basic YWxpY2U6cGFzcw==' } });
    expect(malformed.statusCode).to.equal(401);
    expect(malformed.headers['www-authenticate']).to.equal('Bearer realm="kastor", error="invalid_token", error_description="the authorization header is not `Bearer <token>`"');
  });

  it('limits each subject\'s writes with a token bucket on the injected clock: 429 with Retry-After, then refilled', async () => {
    make(parseRateLimits('user=2/3,taxi=off'));
    app.post('/w', { config: { auth: { roles: ['user', 'taxi'], subject: 'any' } } }, async () => ({ ok: true }));
    app.get('/r', { config: { auth: { roles: ['user'], subject: 'any' } } }, async () => ({ ok: true }));
    const write = async (sub: string, role: 'user' | 'taxi' = 'user') => app.inject({ method: 'POST', url: '/w', headers: await bearer(sub, role) });
    for (let i = 0; i < 3; i++) expect((await write('alice')).statusCode, `write ${i}`).to.equal(200);
    const refused = await write('alice');
    expect(refused.statusCode).to.equal(429);
    expect(refused.headers['retry-after']).to.equal('1');
    expect(refused.json().error).to.match(/too many writes by user alice: at most 2 a second \(bursts of 3\)/);
    // Another subject has its own bucket; reads are not limited; a role may be off.
    expect((await write('bob')).statusCode).to.equal(200);
    for (let i = 0; i < 5; i++) expect((await app.inject({ method: 'GET', url: '/r', headers: await bearer('alice') })).statusCode).to.equal(200);
    for (let i = 0; i < 10; i++) expect((await write('taxi_1', 'taxi')).statusCode).to.equal(200);
    // Half a second gives one token back (2 a second), not two.
    clock.advance(500);
    expect((await write('alice')).statusCode).to.equal(200);
    expect((await write('alice')).statusCode).to.equal(429);
    clock.advance(10_000);
    for (let i = 0; i < 3; i++) expect((await write('alice')).statusCode).to.equal(200);
    expect(metrics.value('kastor_http_rate_limited_total', { role: 'user', route: '/w' })).to.equal(2);
  });

  it('spends a ticket once, on its own path, within its lifetime', async () => {
    make();
    app.post('/streams/:userId/ticket', { config: { auth: { roles: ['user'], subject: { param: 'userId' } } } },
      async (req) => app.auth.tickets.issue(req.principal!, `/streams/${(req.params as { userId: string }).userId}`));
    app.get('/streams/:userId', { config: { auth: { roles: ['user'], subject: { param: 'userId' }, ticket: true } } }, async (req) => req.principal);
    const ticket = async () => (await app.inject({ method: 'POST', url: '/streams/alice/ticket', headers: await bearer('alice') })).json().ticket as string;
    const open = (t: string, user = 'alice') => app.inject({ method: 'GET', url: `/streams/${user}?ticket=${t}` });

    const t1 = await ticket();
    expect((await open(t1)).json()).to.deep.equal({ sub: 'alice', role: 'user' });
    expect((await open(t1)).statusCode, 'spent').to.equal(401);
    const t2 = await ticket();
    clock.advance(30_000);
    expect((await open(t2)).statusCode, 'expired').to.equal(401);
    const t3 = await ticket();
    expect((await open(t3, 'bob')).statusCode, 'another path').to.equal(401);
    expect((await open('made-up')).statusCode).to.equal(401);
    expect(app.auth.tickets.outstanding).to.equal(0);
    expect(metrics.value('kastor_http_auth_refusals_total', { reason: 'bad_ticket' })).to.equal(4);
  });
});

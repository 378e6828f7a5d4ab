/**
 * Authentication and authorisation on the edge's routes. Every route states who may call it where
 * it is declared, in its fastify config:
 *
 *   app.get('/bank/users/:userId/alerts', { schema, config: { auth: { roles: ['user'], subject: { param: 'userId' } } } }, …)
 *
 * and a route that states nothing fails at registration: no route is open by accident; `'public'`
 * is said out loud (/healthz, /readyz). A rule names the roles that may call the route and whose
 * route it is (`subject`):
 *   - `'any'`: any subject of those roles (the feed, an estimate, the metrics);
 *   - `{ param }`: the token's subject must be that path parameter (403 otherwise);
 *   - `{ body }`: the body's field must be the token's subject, or be left out and is then taken
 *     from it (403 when it names someone else; no body at all is a body without the field);
 *   - `{ resource }`: the handler compares the subject with the resource it loads
 *     (`requireSubject`); the text says whose resource.
 * Roles in `anySubject` act for anyone (a `service` producing for its users).
 *
 * The checks run in `onRequest`, before the body is read (a refused caller costs no parsing), and
 * the body's subject in `preValidation`. Writes (every method but GET and HEAD, unless the rule says
 * `rateLimited: false`) take a token of the subject's bucket (RateLimiter). With `ticket: true`, a
 * GET may bring `?ticket=` (TicketBook) instead of the header.
 */
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, onRouteHookHandler, preValidationHookHandler, RouteOptions } from 'fastify';
import type { Clock } from '../../clock/Clock.js';
import { SystemClock } from '../../clock/SystemClock.js';
import { AuthRefusal } from './AuthRefusal.js';
import type { KeyRing } from './KeyRing.js';
import type { Principal, Role } from './Principal.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from './RateLimiter.js';
import { TicketBook } from './TicketBook.js';

export type SubjectRule = 'any' | { readonly param: string } | { readonly body: string } | { readonly resource: string };

export interface AccessRule {
  /** The roles that may call the route. */
  readonly roles: readonly Role[];
  /** Whose route it is (see above). */
  readonly subject: SubjectRule;
  /** Roles that act for any subject. */
  readonly anySubject?: readonly Role[];
  /** A `?ticket=` from the TicketBook stands for the header (server-sent events). */
  readonly ticket?: boolean;
  /** Default: true for writes (not GET or HEAD). */
  readonly rateLimited?: boolean;
}

export type RouteAuth = 'public' | AccessRule;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: required on every route (src/http/auth/installAuth.ts). */
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** Who the request acts as; undefined on a public route. */
    principal?: Principal;
  }
  interface FastifyInstance {
    readonly auth: HttpAuth;
  }
}

export interface AuthOptions {
  readonly keys: KeyRing;
  /** Tokens' and tickets' expiry, buckets' refill (default: the system clock). */
  readonly clock?: Clock;
  /** Per-role write limits (default DEFAULT_RATE_LIMITS). */
  readonly rateLimits?: RateLimits;
  /** Tickets' lifetime (default 30 s). */
  readonly ticketTtlMs?: number;
  /** New tickets (default: 256 crypto-random bits); a simulation passes a seeded one. */
  readonly ticketSecret?: () => string;
}

/** What routes reach through `app.auth`. */
export interface HttpAuth {
  readonly keys: KeyRing;
  readonly tickets: TicketBook;
}

/** Hooks the rules into every route registered on `app` from now on. */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  const { keys } = options;
  const clock = options.clock ?? new SystemClock();
  const tickets = new TicketBook({ clock, ttlMs: options.ticketTtlMs, secret: options.ticketSecret });
  const limiter = new RateLimiter(options.rateLimits ?? DEFAULT_RATE_LIMITS, clock);
  app.decorate('auth', { keys, tickets } satisfies HttpAuth);
  app.decorateRequest('principal', undefined);

  const authenticate = async (request: FastifyRequest, rule: AccessRule): Promise<Principal> => {
    const header = request.headers.authorization;
    if (header === undefined && rule.ticket) {
      const ticket = (request.query as Record<string, unknown> | undefined)?.ticket;
      if (typeof ticket === 'string') {
        const principal = tickets.redeem(ticket, pathOf(request.url));
        if (!principal) throw new AuthRefusal('bad_ticket', 'the ticket is unknown, used, expired or for another path');
        return principal;
      }
    }
    if (header === undefined) throw new AuthRefusal('missing', 'an authorization header with a bearer token is required');
    const m = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header);
    if (!m) throw new AuthRefusal('malformed', 'the authorization header is not `Bearer <token>`');
    const verified = await keys.verify(m[1], clock.now());
    if (!verified.ok) throw new AuthRefusal(verified.refusal, verified.reason);
    return verified.principal;
  };

  const onRoute: onRouteHookHandler = (route) => {
    const rule = route.config?.auth;
    if (rule === undefined) {
      throw new Error(`route ${route.method} ${route.url} states no auth rule: add config.auth ({ roles, subject }, or 'public')`);
    }
    if (rule === 'public') return;
    checkRule(route, rule);
    const free = new Set(rule.anySubject ?? []);
    const isWrite = ![route.method].flat().every((m) => m === 'GET' || m === 'HEAD');
    const limited = rule.rateLimited ?? isWrite;
    const subject = rule.subject;
    const check: onRequestHookHandler = async (request) => {
      const principal = await authenticate(request, rule);
      if (!rule.roles.includes(principal.role)) {
        throw new AuthRefusal('wrong_role', `a ${principal.role} token may not call ${route.method} ${route.url} (it takes ${rule.roles.join(' or ')})`);
      }
      if (typeof subject === 'object' && 'param' in subject && !free.has(principal.role)) {
        const owner = (request.params as Record<string, string>)[subject.param];
        if (owner !== principal.sub) throw new AuthRefusal('wrong_subject', `${principal.sub} may not act as ${owner}`);
      }
      request.principal = principal;
      if (limited) limiter.take(principal);
    };
    route.onRequest = [check, ...hooks(route.onRequest)];
    if (typeof subject === 'object' && 'body' in subject) {
      const field = subject.body;
      const own: preValidationHookHandler = (request, _reply, done) => {
        const principal = request.principal!;
        // No body at all: the subject is all there is to say (a like).
        if (request.body === undefined && !free.has(principal.role)) request.body = {};
        const body = request.body;
        if (free.has(principal.role) || typeof body !== 'object' || body === null || Array.isArray(body)) return done();
        const named = (body as Record<string, unknown>)[field];
        if (named === undefined) (body as Record<string, unknown>)[field] = principal.sub;
        // Not a string is not a name: validation says what is wrong with it (400).
        else if (typeof named === 'string' && named !== principal.sub) return done(new AuthRefusal('wrong_subject', `${principal.sub} may not act as ${String(named)}`));
        done();
      };
      // Before `a JSON body is required` (createHttpApp's hook, registered first).
      route.preValidation = [own, ...hooks(route.preValidation)];
    }
  };
  app.addHook('onRoute', onRoute);
}

/**
 * Where the handler knows whose resource it is (a `{ resource }` rule: a ride's rider or its taxi;
 * a post's author): the request's subject must be one of `owners`, else 403 with `reason`, counted
 * as a refusal like the others.
 */
export function requireSubject(request: FastifyRequest, owners: readonly (string | null | undefined)[], reason: string): Principal {
  const principal = request.principal;
  const rule = request.routeOptions.config.auth;
  if (!principal || rule === undefined || rule === 'public') throw new Error(`requireSubject on ${request.routeOptions.url}, a route without an access rule`);
  if (rule.anySubject?.includes(principal.role) || owners.includes(principal.sub)) return principal;
  throw new AuthRefusal('wrong_subject', reason);
}

/** A rule that cannot work is a programming error: it fails the registration, as a missing one does. */
function checkRule(route: RouteOptions, rule: AccessRule): void {
  const where = `route ${route.method} ${route.url}`;
  if (rule.roles.length === 0) throw new Error(`${where}: its auth rule names no role`);
  const s = rule.subject;
  if (typeof s === 'object' && 'param' in s && !route.url.split('/').includes(`:${s.param}`)) {
    throw new Error(`${where}: its auth rule names the path parameter ${s.param}, which the path does not have`);
  }
  if (rule.ticket && route.method !== 'GET' && route.method !== 'HEAD') throw new Error(`${where}: tickets are for GET routes (event streams)`);
}

function hooks<T>(own: T | T[] | undefined): T[] {
  return own === undefined ? [] : Array.isArray(own) ? own : [own];
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

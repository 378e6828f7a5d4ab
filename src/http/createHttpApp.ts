/**
 * The HTTP edge: a fastify instance that speaks JSON. Routing, body reading and the body limit are
 * fastify's; request schemas are zod (zodValidation.ts). Every failure is a JSON `{ error }` with
 * its status, and the server keeps serving:
 *   - an HttpError → its status and reason; invalid input → 400 (`invalid body: …`,
 *     `a JSON body is required`, `body is not JSON: …`); a body over the limit → 413, with
 *     Content-Length and chunked alike;
 *   - a retriable BrokerError (the broker is away or did not confirm in time) → 503, `retry-after: 1`;
 *   - an unknown path → 404, a known path with another method → 405;
 *   - anything else → 500 `internal error`, logged at level error.
 * A client that goes away is not our fault: it is logged at info. Fastify's own logger stays off;
 * what is logged goes through the Logger passed in.
 *
 * Every route states who may call it (`config.auth`, src/http/auth/installAuth.ts) or fails to
 * register; the key ring comes in `auth`, so that a caller (the simulation, a spec) can pass a
 * deterministic one. Refusals are 401 (with `WWW-Authenticate`) or 403, writes over the subject's
 * rate 429 (with `Retry-After`), all counted in `kastor_http_auth_refusals_total{reason, route}` and
 * `kastor_http_rate_limited_total{role, route}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, {
  type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest,
  type RawServerDefault, type onRouteHookHandler, type preValidationHookHandler,
} from 'fastify';
import { BrokerError } from '../broker/errors.js';
import type { Logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import { httpRequestDuration } from '../metrics/httpRequestDuration.js';
import { HttpError, badRequest } from './HttpError.js';
import { AuthRefusal } from './auth/AuthRefusal.js';
import { type AuthOptions, installAuth } from './auth/installAuth.js';
import { type ZodTypeProvider, zodValidatorCompiler } from './zodValidation.js';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export type HttpApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface HttpAppOptions {
  readonly log: Logger;
  readonly bodyLimit?: number;
  /** Where each response's latency goes (`kastor_http_request_duration_seconds`); none in specs. */
  readonly metrics?: Metrics;
  /** The keys tokens are verified with, and the clock and write limits of the checks. */
  readonly auth: AuthOptions;
}

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { log } = options;
  const bodyLimit = options.bodyLimit ?? MAX_BODY_BYTES;
  // While closing, requests already on an open connection are still served, as they were before
  // fastify: a 503 of fastify's own would not be our `{ error }`, and the stop cuts what remains.
  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler);
  // The edge speaks JSON only, whatever the content type says: `curl -d` sends a form type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);
  app.addHook('onRoute', requireBodyWhereDeclared);
  installAuth(app, options.auth);
  const refusals = options.metrics?.counter('kastor_http_auth_refusals_total', 'Requests refused: 401 unauthenticated or 403 forbidden, by reason and route pattern', ['reason', 'route']);
  const limited = options.metrics?.counter('kastor_http_rate_limited_total', 'Writes refused with 429: the subject\'s token bucket was empty', ['role', 'route']);
  if (options.metrics) {
    const observe = httpRequestDuration(options.metrics);
    // The route's pattern, never the raw URL: the number of series stays bounded.
    app.addHook('onResponse', async (request, reply) => observe({
      method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, seconds: reply.elapsedTime / 1_000,
    }));
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = errorAnswer(error, bodyLimit);
    if (answer.status >= 500) log.error('request failed', { error, method: request.method, url: request.url });
    else if (clientWentAway(request)) log.info('client went away', { method: request.method, url: request.url, reason: answer.reason });
    if (answer.status === 503) reply.header('retry-after', '1');
    if (error instanceof HttpError && error.headers) reply.headers(error.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    if (error instanceof AuthRefusal) refusals?.({ reason: error.refusal, route });
    else if (answer.status === 429) limited?.({ role: request.principal?.role ?? 'none', route });
    return reply.code(answer.status).send({ error: answer.reason });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const allowed = METHODS.some((method) => method !== request.method && app.findRoute({ method, url: path }) !== null);
    return allowed
      ? reply.code(405).send({ error: `method ${request.method} not allowed on ${path}` })
      : reply.code(404).send({ error: `no route for ${request.method} ${path}` });
  });
  return app;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function errorAnswer(error: FastifyError, bodyLimit: number): { status: number; reason: string } {
  if (error instanceof HttpError) return { status: error.status, reason: error.reason };
  if (error instanceof BrokerError && error.retriable) return { status: 503, reason: `the broker is unavailable, try again: ${error.message}` };
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, reason: `body is over the ${bodyLimit}-byte limit` };
  // fastify's own 4xx (a Content-Length that does not match the body, a client that went away while
  // sending it): its status and message.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, reason: error.message };
  return { status: 500, reason: 'internal error' };
}

/** The request was cut before its end arrived (a request read to its end is destroyed too). */
function clientWentAway(request: FastifyRequest): boolean {
  return request.raw.destroyed && !request.raw.complete;
}

function parseJson(_request: FastifyRequest, body: string, done: (error: Error | null, body?: unknown) => void): void {
  if (body.length === 0) return done(null, undefined);
  try {
    done(null, JSON.parse(body));
  } catch (e) {
    done(badRequest(`body is not JSON: ${(e as Error).message}`));
  }
}

/**
 * fastify hands a validator `null` for a missing body, so "no body" is told apart from a JSON
 * `null` here, before validation, on the routes that declare a body.
 */
const requireBody: preValidationHookHandler = (request, _reply: FastifyReply, done) => {
  done(request.body === undefined ? badRequest('a JSON body is required') : undefined);
};

const requireBodyWhereDeclared: onRouteHookHandler = (route) => {
  if (route.schema?.body === undefined) return;
  const own = route.preValidation;
  route.preValidation = own === undefined ? requireBody : [requireBody, ...(Array.isArray(own) ? own : [own])];
};

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The kastor console on the process's own port (docs/console.md). The page and its static assets
 * (plain ES modules and CSS under `console/`, uPlot from node_modules: no CDN, no bundler) are
 * public: they hold no data. Every data route takes an `admin` token; the live overview is a
 * server-sent event stream, opened with a single-use ticket as the bank's alert stream is
 * (docs/security.md), since a browser's EventSource cannot send a header.
 *
 *   GET  /console                          the page
 *   GET  /console/api/overview             one overview sample (stages, offsets, lag, rates, health)
 *   POST /console/api/stream/ticket        → { ticket, expiresAt } for the stream
 *   GET  /console/api/stream?ticket=       `history` (the samples kept), then a `sample` a second
 *   GET  /console/api/apps                 the applications, their entities and views
 *   GET  /console/api/apps/:app/view       the application's view, read from its read model (views/)
 *   GET  /console/api/entities/:app/:entity?prefix=&limit=   stored keys that start with the prefix
 *   GET  /console/api/entities/:app/:entity/:key   the entity inspector
 *   GET  /console/api/entities/:app/:entity/:key/trail?limit=   the last records in and events out
 *   GET  /console/api/dead-letters/:app    the dead-letter topic's last records, with their reasons
 *   POST /console/api/dead-letters/:app/redrive  { partition, offset } → produced to its original topic
 *   POST /console/api/dead-letters/:app/redrive-all  { reason } → every one that failed for it
 *   GET  /console/api/demo, POST { on }    the demo traffic's switch (src/console/demo.ts)
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { z } from 'zod';
import type { Broker, Producer } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import type { AccessRule } from '../http/auth/installAuth.js';
import type { HttpApp } from '../http/createHttpApp.js';
import { HttpError } from '../http/HttpError.js';
import type { Logger } from '../log/Logger.js';
import { ConsoleOverview, type OverviewSample } from './ConsoleOverview.js';
import type { ConsoleSource } from './ConsoleSource.js';
import type { DemoSwitch } from './demo.js';
import { DeadLetters } from './DeadLetters.js';
import { TopicPartitionCounts, appNamed } from './consoleTopology.js';
import { entityTrail } from './entityTrail.js';
import { type BoundView, CONSOLE_VIEWS } from './views/index.js';

export interface ConsoleDeps {
  /** The stages and actors shown: this thread's Runtime, or the worker threads' (ConsoleSource.ts). */
  readonly source: ConsoleSource;
  readonly broker: Broker;
  readonly clock: Clock;
  /** Produces re-driven dead letters (the edge's reliable producer). */
  readonly producer: Producer;
  readonly log: Logger;
  /** Each hosted application's read model, by application name: its console view reads it. */
  readonly readModels?: ReadonlyMap<string, object>;
  /** The demo traffic's switch (src/console/demo.ts): the page's button turns it on and off. */
  readonly demo?: DemoSwitch;
}

const ASSETS = path.resolve(import.meta.dirname, '../../console');
const UPLOT = path.dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));
const STREAM = '/console/api/stream';

const admin = { auth: { roles: ['admin'], subject: 'any' } } satisfies { auth: AccessRule };
const adminStream = { auth: { roles: ['admin'], subject: 'any', ticket: true } } satisfies { auth: AccessRule };
const name = z.string().min(1).max(128);
const entityParams = z.object({ app: name, entity: name, key: z.string().min(1).max(512) });
const appParams = z.object({ app: name });
const keysParams = z.object({ app: name, entity: name });
const trailQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) });
const keysQuery = z.object({ prefix: z.string().max(512).default(''), limit: z.coerce.number().int().min(1).max(100).default(20) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
const redriveBody = z.object({ partition: z.number().int().min(0), offset: z.number().int().min(0) });
const redriveAllBody = z.object({ reason: z.string().min(1).max(2_000) });
const demoBody = z.object({ on: z.boolean() });
const streamQuery = z.object({ ticket: z.string().max(256).optional() });
const assetParams = z.object({ '*': z.string().regex(/^[a-z][a-z0-9-]*\.(js|css)$/, 'must be an asset of console/') });

/** The page asks for the admin token, then reads everything through the routes above. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  'cache-control': 'no-cache',
};

export function consoleRoutes(app: HttpApp, deps: ConsoleDeps): ConsoleOverview {
  const partitions = new TopicPartitionCounts(deps.broker.admin);
  const overview = new ConsoleOverview({ source: deps.source, clock: deps.clock, log: deps.log.child({ component: 'console' }) });
  const deadLetters = new DeadLetters({ broker: deps.broker, producer: deps.producer, partitions, log: deps.log });
  const apps = deps.source.apps;
  const views = new Map<string, BoundView>();
  for (const view of CONSOLE_VIEWS) {
    const readModel = deps.readModels?.get(view.app);
    if (readModel && apps.some((a) => a.name === view.app)) views.set(view.app, view.bind(readModel));
  }

  // `serve: false`: its own routes would state no auth rule; ours say 'public' and name the files.
  void app.register(fastifyStatic, { root: ASSETS, serve: false });
  const page = async (_req: unknown, reply: import('fastify').FastifyReply) => reply.headers(PAGE_HEADERS).sendFile('index.html', ASSETS);
  app.get('/console', { config: { auth: 'public' } }, page);
  app.get('/console/', { config: { auth: 'public' } }, page);
  app.get('/console/assets/*', { schema: { params: assetParams }, config: { auth: 'public' } }, async (req, reply) => (
    reply.header('cache-control', 'no-cache').sendFile(req.params['*'], ASSETS)
  ));
  app.get('/console/vendor/uplot.js', { config: { auth: 'public' } }, async (_req, reply) => reply.sendFile('uPlot.esm.js', UPLOT));
  app.get('/console/vendor/uplot.css', { config: { auth: 'public' } }, async (_req, reply) => reply.sendFile('uPlot.min.css', UPLOT));

  // While a page watches, its latest sample is at most a second old; else one is taken now.
  app.get('/console/api/overview', { config: admin }, async () => (overview.watchers > 0 && overview.history.at(-1)) || overview.sample());
  app.post('/console/api/stream/ticket', { config: admin }, async (req, reply) => (
    reply.code(201).send(app.auth.tickets.issue(req.principal!, STREAM))
  ));
  app.get(STREAM, { schema: { querystring: streamQuery }, config: adminStream }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write('retry: 2000\n\n');
    send('history', overview.history.map(chartPoint));
    const stop = overview.watch((sample) => send('sample', sample));
    res.once('close', stop);
    res.once('error', stop);
  });

  app.get('/console/api/apps', { config: admin }, async () => ({
    apps: apps.map((a) => ({ name: a.name, entities: a.entities.map((e) => e.name), view: views.get(a.name)?.title ?? null })),
  }));
  app.get('/console/api/apps/:app/view', { schema: { params: appParams }, config: admin }, async (req) => {
    const view = views.get(appNamed(apps, req.params.app).name);
    if (!view) throw new HttpError(404, `the console has no view of ${req.params.app}`);
    const query = view.query.safeParse(req.query);
    if (!query.success) throw new HttpError(400, query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    return view.read(query.data, deps.clock);
  });
  app.get('/console/api/entities/:app/:entity', { schema: { params: keysParams, querystring: keysQuery }, config: admin }, async (req) => ({
    keys: await deps.source.keys(req.params.app, req.params.entity, req.query.prefix, req.query.limit),
  }));
  app.get('/console/api/entities/:app/:entity/:key', { schema: { params: entityParams }, config: admin }, async (req) => (
    deps.source.inspect(req.params.app, req.params.entity, req.params.key)
  ));
  app.get('/console/api/entities/:app/:entity/:key/trail', { schema: { params: entityParams, querystring: trailQuery }, config: admin }, async (req) => (
    entityTrail({ broker: deps.broker, partitions }, appNamed(apps, req.params.app), req.params.entity, req.params.key, req.query.limit)
  ));
  app.get('/console/api/dead-letters/:app', { schema: { params: appParams, querystring: listQuery }, config: admin }, async (req) => (
    deadLetters.list(appNamed(apps, req.params.app), req.query.limit)
  ));
  app.post('/console/api/dead-letters/:app/redrive', { schema: { params: appParams, body: redriveBody }, config: admin }, async (req, reply) => (
    reply.code(202).send(await deadLetters.redrive(appNamed(apps, req.params.app), req.body.partition, req.body.offset))
  ));
  app.get('/console/api/demo', { config: admin }, async () => ({ on: deps.demo?.on ?? false, available: deps.demo !== undefined }));
  app.post('/console/api/demo', { schema: { body: demoBody }, config: admin }, async (req) => {
    if (!deps.demo) throw new HttpError(404, 'this process has no demo traffic');
    await deps.demo.set(req.body.on);
    deps.log.info(`demo traffic ${req.body.on ? 'on' : 'off'}`, { by: req.principal?.sub });
    return { on: deps.demo.on, available: true };
  });
  app.post('/console/api/dead-letters/:app/redrive-all', { schema: { params: appParams, body: redriveAllBody }, config: admin }, async (req, reply) => (
    reply.code(202).send(await deadLetters.redriveAll(appNamed(apps, req.params.app), req.body.reason))
  ));
  return overview;
}

/** What the charts need of a sample kept in the history (the stage rows stay out of it). */
function chartPoint(s: OverviewSample): Pick<OverviewSample, 'at' | 'inPerSecond' | 'outPerSecond' | 'lag'> {
  return { at: s.at, inPerSecond: s.inPerSecond, outPerSecond: s.outPerSecond, lag: s.lag };
}

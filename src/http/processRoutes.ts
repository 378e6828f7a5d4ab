/**
 * The process's own routes: `/healthz` (the stages are up) and `/readyz` (they restored their
 * partitions), open to anyone so that an orchestrator needs no token; `/metrics` (Prometheus
 * text), for an `admin` token only, since it tells who calls what and how often.
 */
import type { HttpApp } from './createHttpApp.js';

export interface ProcessProbes {
  healthy(): boolean;
  ready(): boolean;
  /** The exposition text, rendered when scraped. */
  metrics(): Promise<string>;
}

export function processRoutes(app: HttpApp, probes: ProcessProbes): HttpApp {
  app.get('/healthz', { config: { auth: 'public' } }, async (_req, reply) => {
    const ok = probes.healthy();
    return reply.code(ok ? 200 : 503).send({ ok });
  });
  app.get('/readyz', { config: { auth: 'public' } }, async (_req, reply) => {
    const ready = probes.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/metrics', { config: { auth: { roles: ['admin'], subject: 'any' } } }, async (_req, reply) => (
    reply.type('text/plain; version=0.0.4').send(await probes.metrics())
  ));
  return app;
}

/**
 * The process's own routes: `/healthz` (the stages are up) and `/readyz` (every partition assigned
 * to this instance is restored; an instance assigned nothing of a stage is ready for it), open to
 * anyone so that an orchestrator needs no token; `/metrics` (Prometheus text), for an `admin`
 * token only, since it tells who calls what and how often.
 *
 * `/readyz` answers 200 or 503 with `{ ready, stages }`: per stage, whether it is ready, the
 * partitions this instance holds by topic, and those still being restored (docs/scale-out.md).
 */
import type { HttpApp } from './createHttpApp.js';

/** What `/readyz` says: the verdict, and per stage what this instance holds (Runtime.readiness). */
export interface Readiness {
  readonly ready: boolean;
  readonly stages?: Readonly<Record<string, {
    readonly ready: boolean;
    readonly assigned: Readonly<Record<string, readonly number[]>>;
    readonly restoring: readonly string[];
  }>>;
}

export interface ProcessProbes {
  healthy(): boolean;
  /** Read once per `/readyz`. */
  readiness(): Readiness;
  /** The exposition text, rendered when scraped. */
  metrics(): Promise<string>;
}

export function processRoutes(app: HttpApp, probes: ProcessProbes): HttpApp {
  app.get('/healthz', { config: { auth: 'public' } }, async (_req, reply) => {
    const ok = probes.healthy();
    return reply.code(ok ? 200 : 503).send({ ok });
  });
  app.get('/readyz', { config: { auth: 'public' } }, async (_req, reply) => {
    const readiness = probes.readiness();
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
  app.get('/metrics', { config: { auth: { roles: ['admin'], subject: 'any' } } }, async (_req, reply) => (
    reply.type('text/plain; version=0.0.4').send(await probes.metrics())
  ));
  return app;
}

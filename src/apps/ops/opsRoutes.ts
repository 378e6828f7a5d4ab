/**
 * The ops query service: `GET /ops/metrics/:service?minute=` answers a service's per-minute
 * aggregates (count, min, max, sum, p50, p99 per metric) from the read model, for the given minute
 * (`2026-01-01T12:03Z`, `2026-01-01T12:03` as UTC, or any ISO time within it) or, without
 * `minute`, for the latest minute aggregated. 400 for a bad service name or minute, 404 when there
 * is nothing for that minute. An `admin` token only: what services report is the operators'.
 */
import { z } from 'zod';
import { serviceName } from '../../../actors/ops/events.js';
import type { HttpApp } from '../../http/createHttpApp.js';
import { notFound } from '../../http/HttpError.js';
import type { OpsReadModel } from './OpsReadModel.js';

export interface OpsServices {
  readonly readModel: OpsReadModel;
}

const isoTime = z.iso.datetime({ offset: true });

/** `?minute=` as the epoch ms of the start of its minute. */
export const minuteParam = z.string().transform((raw, ctx) => {
  const text = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(raw) ? `${raw}:00Z` : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/.test(raw) ? raw.replace('Z', ':00Z') : raw;
  if (!isoTime.safeParse(text).success) {
    ctx.issues.push({ code: 'custom', input: raw, message: `must be an ISO time such as 2026-01-01T12:03Z (or 2026-01-01T12:03, taken as UTC), not '${raw}'` });
    return z.NEVER;
  }
  return Math.floor(Date.parse(text) / 60_000) * 60_000;
});

const serviceMetrics = { params: z.object({ service: serviceName }), querystring: z.object({ minute: minuteParam.optional() }) };

export function opsRoutes(app: HttpApp, services: OpsServices): HttpApp {
  app.get('/ops/metrics/:service', { schema: serviceMetrics, config: { auth: { roles: ['admin'], subject: 'any' } } }, async (req) => {
    const { service } = req.params;
    const { minute } = req.query;
    const found = services.readModel.serviceMinute(service, minute);
    if (!found) {
      throw notFound(minute === undefined
        ? `no metrics aggregated for service ${service} yet`
        : `no metrics for service ${service} in the minute ${new Date(minute).toISOString()}`);
    }
    return found;
  });
  return app;
}

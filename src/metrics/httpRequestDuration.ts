/**
 * The HTTP edge's latency series, `kastor_http_request_duration_seconds{method, route, status}`:
 * one histogram in a `Metrics` registry, and the function the edge calls once per response.
 *
 * `route` is the route's pattern (`/gettaxi/rides/:rideId`), never the raw URL, so that the number
 * of series stays bounded; a request no route matched is `route: 'unmatched'`. With fastify:
 *
 *   const observe = httpRequestDuration(metrics);
 *   app.addHook('onResponse', async (request, reply) => observe({
 *     method: request.method, route: request.routeOptions.url ?? 'unmatched',
 *     status: reply.statusCode, seconds: reply.elapsedTime / 1_000,
 *   }));
 */
import { LATENCY_BUCKETS, type Metrics } from './Metrics.js';

export interface HttpRequestObservation {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

export const HTTP_REQUEST_DURATION = 'kastor_http_request_duration_seconds';

export function httpRequestDuration(metrics: Metrics): (request: HttpRequestObservation) => void {
  const histogram = metrics.histogram(HTTP_REQUEST_DURATION, 'HTTP requests by method, route pattern and status', ['method', 'route', 'status'], LATENCY_BUCKETS);
  return ({ method, route, status, seconds }) => histogram({ method, route, status: String(status) }, seconds);
}

import { expect } from 'chai';
import Fastify from 'fastify';
import { Metrics } from '../../src/metrics/Metrics.js';
import { HTTP_REQUEST_DURATION, httpRequestDuration } from '../../src/metrics/httpRequestDuration.js';

describe('httpRequestDuration', () => {
  it('observes each response by method, route pattern and status, wired as a fastify onResponse hook', async () => {
    const metrics = new Metrics();
    const observe = httpRequestDuration(metrics);
    const app = Fastify();
    app.addHook('onResponse', async (request, reply) => observe({
      method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, seconds: reply.elapsedTime / 1_000,
    }));
    app.get('/gettaxi/rides/:rideId', async (request, reply) =>
      (request.params as { rideId: string }).rideId === 'gone' ? reply.code(404).send({ error: 'no such ride' }) : { ok: true });
    try {
      await app.inject({ method: 'GET', url: '/gettaxi/rides/r1' });
      await app.inject({ method: 'GET', url: '/gettaxi/rides/r2' });
      await app.inject({ method: 'GET', url: '/gettaxi/rides/gone' });
      await app.inject({ method: 'POST', url: '/nowhere' });
    } finally {
      await app.close();
    }
    const ride = { method: 'GET', route: '/gettaxi/rides/:rideId' };
    expect(metrics.value(HTTP_REQUEST_DURATION, { ...ride, status: '200' })).to.equal(2);
    expect(metrics.value(HTTP_REQUEST_DURATION, { ...ride, status: '404' })).to.equal(1);
    expect(metrics.value(HTTP_REQUEST_DURATION, { method: 'POST', route: 'unmatched', status: '404' })).to.equal(1);
    const text = await metrics.render();
    expect(text).to.include('# TYPE kastor_http_request_duration_seconds histogram');
    expect(text).to.match(/^kastor_http_request_duration_seconds_count\{method="GET",route="\/gettaxi\/rides\/:rideId",status="200"\} 2$/m);
    expect(text).to.not.include('r1');
  });

  it('keeps the label names fixed whatever is observed first', () => {
    const metrics = new Metrics();
    httpRequestDuration(metrics)({ method: 'GET', route: '/healthz', status: 200, seconds: 0.001 });
    expect(() => metrics.histogram(HTTP_REQUEST_DURATION, 'x', ['route'])).to.throw(/other label names/);
  });
});

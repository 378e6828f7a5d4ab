import { expect } from 'chai';
import { z } from 'zod';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import type { HttpApp } from '../../src/http/createHttpApp.js';
import { badRequest } from '../../src/http/HttpError.js';
import { EdgeProducer } from '../../src/sim/EdgeProducer.js';
import { SimEdge, caller } from '../../src/sim/SimEdge.js';
import { specKeys } from '../support/auth.js';

/** A route that produces then refuses: what the edge must never do. */
function routes(producer: EdgeProducer) {
  return (app: HttpApp) => {
    const rule = { auth: { roles: ['user'], subject: { body: 'name' } } } as const;
    app.post('/things', { schema: { body: z.object({ name: z.string().min(1) }) }, config: rule }, async (req, reply) => {
      await producer.send([{ topic: 'things', key: req.body.name, value: JSON.stringify(req.body) }]);
      if (req.body.name === 'late-refusal') throw badRequest('refused after producing');
      return reply.code(202).send({ name: req.body.name });
    });
  };
}

describe('the simulated HTTP edge', () => {
  let broker: MemoryBroker;
  let producer: EdgeProducer;
  let edge: SimEdge;

  beforeEach(async () => {
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
    broker = new MemoryBroker({ clock, schedule: (task) => task(), maintenanceIntervalMs: 0, closeTimeoutMs: 0 });
    await broker.admin.createTopics([{ name: 'things', partitions: 1, replicationFactor: 1 }]);
    producer = new EdgeProducer(broker.producer({}));
    edge = new SimEdge([routes(producer)], producer, { keys: await specKeys(), clock, ticketSecret: () => 'secret' });
    await edge.ready();
  });

  afterEach(async () => {
    await edge.close();
    await broker.close();
  });

  it('answers through the routes\' own validation, and tells a request its answer', async () => {
    let answered: unknown;
    await edge.call({ method: 'POST', url: '/things', body: { name: 'a' }, as: caller.user('a'), expect: 202, then: (r) => (answered = r.body) });
    await edge.call({ method: 'POST', url: '/things', body: '{"name": ', as: caller.user('a'), expect: 400 });
    await edge.call({ method: 'POST', url: '/things', body: { name: 'a' }, expect: 401 });
    await edge.call({ method: 'POST', url: '/things', body: { name: 'a' }, as: caller.user('b'), expect: 403 });
    await edge.call({ method: 'POST', url: '/things', body: { name: 'a' }, as: caller.taxi('a'), expect: 403 });
    expect(answered).to.deep.equal({ name: 'a' });
    expect(edge.invariant()).to.include({ held: true, detail: '202: 1, 400: 1, 401: 1, 403: 2' });
  });

  it('breaks its invariant on an unexpected status', async () => {
    await edge.call({ method: 'POST', url: '/things', body: { name: 'a' }, expect: 202, then: () => expect.fail('then on a wrong answer') });
    const invariant = edge.invariant();
    expect(invariant.held).to.equal(false);
    expect(invariant.detail).to.match(/^1 wrong: POST \/things: 401 \(expected 202\)/);
  });

  it('breaks its invariant when a refused request produced something', async () => {
    await edge.call({ method: 'POST', url: '/things', body: { name: 'late-refusal' }, as: caller.user('late-refusal'), expect: 400 });
    const invariant = edge.invariant();
    expect(invariant.held).to.equal(false);
    expect(invariant.detail).to.match(/400 \(expected 400\), produced 1/);
  });
});

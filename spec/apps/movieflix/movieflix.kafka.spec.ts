/**
 * MovieFlix's main path on the kafka transport, against a real broker: a position through the
 * HTTP position service → `show_position` → viewer actor → `user_profiles` / `recommendations` →
 * read model → the resuming and recommendation services. Topics get a unique dataset per run
 * (`tracking.movieflix_t<hex>.show_position`, ...) and are deleted afterwards.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { KafkaBroker } from '../../../adapters/kafka/index.js';
import { createMovieflixTopics } from '../../../config/movieflix.js';
import { movieflixRoutes } from '../../../src/apps/movieflix/movieflixRoutes.js';
import type { Producer } from '../../../src/broker/Broker.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { allTopics } from '../../../src/host/topology.js';
import { type HttpApp, createHttpApp } from '../../../src/http/createHttpApp.js';
import { silentLogger } from '../../../src/log/Logger.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { Tokens } from '../../support/auth.js';
import { jsonClient } from '../../support/http.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../../support/kafka.js';
import { waitForValue } from '../../support/waitFor.js';
import { MovieflixFixture, type MovieflixProcess } from './movieflixFixture.js';

const WAIT_MS = 45_000;

describeKafka('MovieFlix on the kafka transport', function () {
  this.timeout(120_000);
  let fx: MovieflixFixture;
  let p: MovieflixProcess;
  let edge: Producer;
  let http: HttpApp | undefined;
  let base: string;
  let tokens: Tokens;

  before(async () => {
    const broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'movieflix-spec', logger: recordingKafkaLogger() });
    fx = new MovieflixFixture({
      broker,
      topics: createMovieflixTopics(`movieflix_t${randomBytes(5).toString('hex')}`),
      runtimeClock: new SystemClock(),
    });
    p = await fx.start();
    edge = broker.producer({ profile: 'reliable', clientId: 'movieflix-spec-edge' });
    tokens = await Tokens.spec();
    http = movieflixRoutes(createHttpApp({ log: silentLogger, auth: tokens.auth }), {
      producer: edge, readModel: p.readModel, clock: new SystemClock(), ids: seededIdSource(5), topics: fx.topics,
      popularity: () => p.popularity.current(),
    });
    base = await http.listen({ port: 0, host: '127.0.0.1' });
  });

  after(async () => {
    await http?.close();
    await edge?.close();
    const names = p ? allTopics(p.app).map((t) => t.name) : [];
    await p?.runtime.stop();
    if (names.length > 0) await fx.broker.admin.deleteTopics(names).catch(() => undefined);
    await fx?.cleanup();
  });

  const call = jsonClient(() => base, () => tokens);

  it('resumes a position reported through the position service', async () => {
    const r = await call('POST', '/movieflix/positions', { userId: 'kafka-u1', showId: 'harbour-lights', episodeId: 's01e03', positionSec: 845, durationSec: 3000 });
    expect(r.status).to.equal(202);
    const point = await waitForValue(async () => {
      const got = await call('GET', '/movieflix/users/kafka-u1/resume/harbour-lights');
      return got.status === 200 ? got.body : undefined;
    }, { timeoutMs: WAIT_MS, message: 'the resume point through kafka' });
    expect(point).to.deep.equal({ showId: 'harbour-lights', episodeId: 's01e03', positionSec: 845, at: r.body.at });
  });

  it('recommends from a finished season, and lands every position in the analytics store', async () => {
    const r = await call('POST', '/movieflix/positions', { userId: 'kafka-u2', showId: 'cold-ledger', episodeId: 's01e06', positionSec: 2699, durationSec: 2700 });
    expect(r.status).to.equal(202);
    const items = await waitForValue(async () => {
      const got = await call('GET', '/movieflix/users/kafka-u2/recommendations');
      return got.body.items.length > 0 ? got.body.items : undefined;
    }, { timeoutMs: WAIT_MS, message: 'recommendations through kafka' });
    expect(items[0]).to.deep.equal({ showId: 'deadline-city', score: 2.449, reason: 'because you liked Cold Ledger' });
    // The profile and the recommendations come from two topics, each read on its own: the read
    // model may hold one before the other.
    const liked = await waitForValue(async () => {
      const got = await call('GET', '/movieflix/users/kafka-u2/profile');
      return got.status === 200 && got.body.liked.length > 0 ? got.body.liked : undefined;
    }, { timeoutMs: WAIT_MS, message: 'the profile through kafka' });
    expect(liked).to.deep.equal(['cold-ledger']);
    await fx.settle(p, WAIT_MS);
    const stored = p.store.db.prepare('SELECT count(*) AS n FROM analytics_records WHERE topic = ?').get(fx.topics.showPosition.name) as { n: number };
    expect(stored.n).to.equal(2);
    expect(p.popularity.run()['cold-ledger']).to.deep.equal({ viewers: 1, finishes: 1, score: 1 });
  });
});

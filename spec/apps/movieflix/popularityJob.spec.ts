/**
 * The popularity batch job over the analytics store: the records go in through the real SQLite
 * analytics sink (as the runtime commits them), the job reads `analytics_records`.
 */
import { expect } from 'chai';
import { SqliteAnalyticsSink } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteMovieflixReadModel } from '../../../adapters/sqlite/SqliteMovieflixReadModel.js';
import { SqliteStateStore } from '../../../adapters/sqlite/SqliteStateStore.js';
import { movieflixCatalog, movieflixTopics } from '../../../config/movieflix.js';
import { PopularityJob } from '../../../src/apps/movieflix/PopularityJob.js';
import type { BrokerRecord } from '../../../src/broker/Record.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';

const T0 = Date.parse('2026-03-01T20:00:00.000Z');
const DAY = 86_400_000;
const topic = movieflixTopics.showPosition.name;

function setup() {
  const store = new SqliteStateStore(':memory:');
  const sink = new SqliteAnalyticsSink({ name: 'movieflix.analytics', topics: [topic], db: store.db });
  const readModel = new SqliteMovieflixReadModel(store.db);
  const clock = new VirtualClock(T0);
  let offset = 0;
  const records: BrokerRecord[] = [];
  const position = (userId: string, showId: string, episodeId: string, positionSec: number, durationSec: number, atMs = T0, onTopic = topic) => {
    const value = JSON.stringify({ id: `r${offset}`, type: 'movieflix.position_recorded', key: userId, at: new Date(atMs).toISOString(), userId, showId, episodeId, positionSec, durationSec });
    records.push({ topic: onTopic, partition: 0, offset: offset++, key: userId, value, headers: {}, timestamp: atMs });
  };
  /** Commits the records gathered so far through the sink, as the runtime would. */
  const flush = () => {
    const work = sink.process(records.splice(0), { skip: new Set(), deadLetter: () => undefined });
    store.stage(sink.name).commit({ snapshots: [], outbox: [], offsets: [] }, work.extra);
  };
  const job = (windowMs = 30 * DAY, intervalMs = 600_000) => new PopularityJob({
    analytics: readModel, store: readModel, catalog: movieflixCatalog, clock, topic, intervalMs, windowMs, completeRatio: 0.95,
  });
  return { store, readModel, clock, position, flush, job, records };
}

describe('MovieFlix popularity job', () => {
  it('counts distinct viewers and season finishes per show, normalised to the most popular', () => {
    const s = setup();
    for (const u of ['a', 'b', 'c']) {
      s.position(u, 'red-meridian', 's01e01', 600, 7200);
      s.position(u, 'red-meridian', 's01e01', u === 'c' ? 1200 : 7000, 7200);
    }
    s.position('a', 'paper-kings', 's01e12', 1490, 1500); // the season 1 finale, to the end
    s.position('a', 'paper-kings', 's02e11', 1490, 1500); // not a finale
    s.position('d', 'paper-kings', 's02e12', 500, 1500); // a finale, not to the end
    s.flush();
    const scores = s.job().run();
    expect(scores['red-meridian']).to.deep.equal({ viewers: 3, finishes: 2, score: 1 });
    expect(scores['paper-kings']).to.include({ viewers: 2, finishes: 1 });
    expect(scores['paper-kings'].score).to.equal(Math.round((Math.log1p(4) / Math.log1p(7)) * 1000) / 1000);
    expect(Object.keys(scores)).to.have.members(['red-meridian', 'paper-kings']);
  });

  it('looks back only as far as its window, and ignores other topics, other shows and raw values', () => {
    const s = setup();
    s.position('a', 'cold-ledger', 's01e01', 60, 2700, T0 - 31 * DAY);
    s.position('b', 'cold-ledger', 's01e01', 60, 2700, T0 - DAY);
    s.position('c', 'cold-ledger', 's01e01', 60, 2700, T0, 'tracking.other.show_position');
    s.position('d', 'not-in-catalog', 's01e01', 60, 2700);
    s.records.push({ topic, partition: 0, offset: 999, key: 'e', value: '{not json', headers: {}, timestamp: T0 });
    s.flush();
    expect(s.job().run()).to.deep.equal({ 'cold-ledger': { viewers: 1, finishes: 0, score: 1 } });
  });

  it('stores what it computed, so that the next process starts with it', () => {
    const s = setup();
    s.position('a', 'laugh-track', 's01e01', 60, 1320);
    s.flush();
    const scores = s.job().run();
    expect(s.readModel.popularity()).to.deep.equal(scores);
    expect(s.job().current()).to.deep.equal(scores);
  });

  it('runs at once on start, then every interval on the injected clock, until stopped', async () => {
    const s = setup();
    const job = s.job(30 * DAY, 600_000);
    await job.start();
    expect(job.current()).to.deep.equal({});
    s.position('a', 'laugh-track', 's01e01', 60, 1320);
    s.flush();
    s.clock.advance(599_999);
    expect(job.current()).to.deep.equal({});
    s.clock.advance(1);
    expect(job.current()['laugh-track']).to.include({ viewers: 1 });
    s.position('b', 'laugh-track', 's01e01', 60, 1320);
    s.flush();
    await job.stop();
    s.clock.advance(10 * 600_000);
    expect(job.current()['laugh-track']).to.include({ viewers: 1 });
    expect(s.clock.pendingTimers).to.equal(0);
  });

  it('has nothing to say before the analytics sink ever created its table', () => {
    const store = new SqliteStateStore(':memory:');
    const readModel = new SqliteMovieflixReadModel(store.db);
    expect(readModel.positionStats(topic, new Date(0).toISOString(), 0.95)).to.deep.equal({ viewers: [], completions: [] });
  });

  it('goes over 20 000 position records within a second or two (and says how long it took)', function () {
    this.timeout(20_000);
    const s = setup();
    const shows = movieflixCatalog.shows;
    for (let i = 0; i < 20_000; i++) {
      const show = shows[i % shows.length];
      const season = show.seasons[i % show.seasons.length];
      const episode = `s${String(season.number).padStart(2, '0')}e${String(season.episodes).padStart(2, '0')}`;
      s.position(`user${i % 2_000}`, show.id, episode, (i % 20) * season.episodeDurationSec / 19, season.episodeDurationSec, T0 - (i % 1_000) * 60_000);
    }
    s.flush();
    const started = performance.now();
    const scores = s.job().run();
    const ms = performance.now() - started;
    console.log(`      popularity over 20 000 records: ${ms.toFixed(0)} ms`);
    expect(Object.keys(scores)).to.have.length(shows.length);
    expect(ms).to.be.lessThan(2_000);
  });
});

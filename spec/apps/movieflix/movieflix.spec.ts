/**
 * MovieFlix end to end on the memory transport: positions → viewer actors → profiles and
 * recommendations → read model; every position in the analytics store; popularity computed from it
 * by the batch job and used by the recommendation engine.
 */
import { expect } from 'chai';
import { DLQ_HEADERS } from '../../../src/host/deadLetter.js';
import { deadLetterTopic } from '../../../src/host/topology.js';
import { waitFor } from '../../support/waitFor.js';
import { MovieflixFixture, type MovieflixProcess, T0 } from './movieflixFixture.js';

const MIN = 60_000;
const DISLIKE_AFTER = 6 * 3_600_000;

describe('MovieFlix on the memory transport', function () {
  this.timeout(30_000);
  let fx: MovieflixFixture;
  let p: MovieflixProcess;

  beforeEach(async () => {
    fx = new MovieflixFixture({ settings: { dislikeAfterMs: DISLIKE_AFTER } });
    p = await fx.start();
  });
  afterEach(() => fx.cleanup());

  const status = (userId: string, showId: string) => p.readModel.profile(userId).find((s) => s.showId === showId)?.status;
  const recommended = (userId: string) => p.readModel.recommendations(userId)?.items ?? [];

  it('resumes where the user left off: the latest position by event time', async () => {
    await fx.report('u1', 'harbour-lights', 's01e01', 3000, 3000, T0 - 10 * MIN);
    await fx.report('u1', 'harbour-lights', 's01e02', 612, 3000, T0 - MIN);
    await fx.report('u1', 'harbour-lights', 's01e01', 1500, 3000, T0 - 20 * MIN); // late, older
    await fx.settle(p);
    expect(p.readModel.resume('u1', 'harbour-lights')).to.deep.equal({
      showId: 'harbour-lights', episodeId: 's01e02', positionSec: 612, at: new Date(T0 - MIN).toISOString(),
    });
    expect(p.readModel.resume('u1', 'iron-district')).to.equal(undefined);
    const profile = p.readModel.profile('u1');
    expect(profile).to.have.length(1);
    expect(profile[0]).to.include({ showId: 'harbour-lights', status: 'watching', episodesCompleted: 1, furthestEpisodeId: 's01e02' });
    expect(profile[0].resume).to.deep.equal({ episodeId: 's01e02', positionSec: 612, at: new Date(T0 - MIN).toISOString() });
  });

  it('turns a finished season into a liked show and recommends from it', async () => {
    await fx.report('u2', 'cold-ledger', 's01e06', 2000, 2700, T0 - 2 * MIN);
    await fx.report('u2', 'cold-ledger', 's01e06', 2690, 2700, T0 - MIN);
    await fx.settle(p);
    expect(status('u2', 'cold-ledger')).to.equal('liked');
    const items = recommended('u2');
    expect(items[0]).to.deep.equal({ showId: 'deadline-city', score: 2.449, reason: 'because you liked Cold Ledger' });
    expect(items.map((i) => i.showId)).to.not.include('cold-ledger');
  });

  it('judges a show left alone past the delay, by event time, as disliked', async () => {
    for (let m = 0; m <= 3; m++) await fx.report('u3', 'midnight-static', 's01e01', m * 60, 2700, T0 - DISLIKE_AFTER - (4 - m) * MIN);
    await fx.settle(p);
    expect(status('u3', 'midnight-static')).to.equal('watching');
    expect(recommended('u3').map((i) => i.showId)).to.include('whispering-pines');
    await fx.report('u3', 'paper-kings', 's01e01', 60, 1500, T0);
    await fx.settle(p);
    expect(status('u3', 'midnight-static')).to.equal('disliked');
    expect(recommended('u3').map((i) => i.showId)).to.not.include('whispering-pines');
    expect(p.readModel.profile('u3').find((s) => s.showId === 'midnight-static')).to.include({ watchedSec: 180 });
  });

  it('keeps every position in the analytics store, and ranks by the popularity computed from it', async () => {
    // Three viewers of Red Meridian, two of whom watch it to the end; one viewer of Below Zero.
    for (const u of ['a1', 'a2', 'a3']) await fx.report(u, 'red-meridian', 's01e01', u === 'a3' ? 900 : 7100, 7200, T0 - 5 * MIN);
    await fx.report('a4', 'below-zero', 's01e01', 100, 2700, T0 - 5 * MIN);
    await fx.settle(p);
    const rows = p.store.db.prepare('SELECT count(*) AS n FROM analytics_records WHERE topic = ?').get(fx.topics.showPosition.name) as { n: number };
    expect(rows.n).to.equal(4);
    const scores = p.popularity.run();
    expect(scores['red-meridian']).to.deep.equal({ viewers: 3, finishes: 2, score: 1 });
    expect(scores['below-zero']).to.include({ viewers: 1, finishes: 0 });
    expect(p.readModel.popularity()).to.deep.equal(scores);

    // Watching a sci-fi action movie: every action show matches equally; popularity breaks the tie.
    await fx.report('u5', 'orbital-drift', 's01e01', 300, 8100, T0);
    await fx.settle(p);
    const items = recommended('u5');
    const first = items.findIndex((i) => i.showId === 'red-meridian');
    const other = items.findIndex((i) => i.showId === 'dust-and-thunder');
    expect(first).to.be.greaterThan(-1);
    expect(first).to.be.lessThan(other);
  });

  it('sends a report that fails its schema to the dead-letter topic and goes on', async () => {
    const bad = { id: 'bad1', type: 'movieflix.position_recorded', key: 'u6', at: new Date(T0).toISOString(), userId: 'u6', showId: 'paper-kings', episodeId: 's01e01', positionSec: 2000, durationSec: 1500 };
    await fx.produceRaw(fx.topics.showPosition.name, 'u6', JSON.stringify(bad));
    await fx.report('u6', 'paper-kings', 's01e01', 200, 1500, T0);
    await fx.settle(p);
    expect(p.readModel.resume('u6', 'paper-kings')?.positionSec).to.equal(200);
    const dead = await fx.readAll(deadLetterTopic('movieflix').name);
    const fromViewer = dead.filter((r) => r.headers[DLQ_HEADERS.stage] === 'movieflix.viewer');
    expect(fromViewer).to.have.length(1);
    expect(fromViewer[0].headers[DLQ_HEADERS.reason]).to.include('positionSec: must not exceed durationSec');
  });

  it('keeps the recommendation volume low: a list is sent only when it changes', async () => {
    let reports = 0;
    for (const u of ['v1', 'v2', 'v3']) {
      for (let m = 0; m < 30; m++) {
        await fx.report(u, 'paper-kings', 's01e01', m * 30, 1500, T0 - 30 * MIN + m * 30_000);
        reports++;
      }
    }
    await fx.settle(p);
    expect(await fx.count(fx.topics.showPosition.name)).to.equal(reports);
    expect(await fx.count(fx.topics.recommendations.name)).to.equal(3);
    expect(await fx.count(fx.topics.userProfiles.name)).to.equal(3);
    await waitFor(() => recommended('v3').length > 0);
  });
});

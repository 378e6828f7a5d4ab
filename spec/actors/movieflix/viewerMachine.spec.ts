import { expect } from 'chai';
import { createActor } from 'xstate';
import type { PositionRecorded, ProfileChanged, RecommendationsChanged } from '../../../actors/movieflix/events.js';
import type { PopularityScores } from '../../../actors/movieflix/recommend.js';
import { type ViewerSettings, createViewerMachine } from '../../../actors/movieflix/viewerMachine.js';
import { movieflixCatalog, movieflixSettings } from '../../../config/movieflix.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';

const T0 = Date.parse('2026-03-01T20:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DISLIKE_AFTER = 6 * HOUR;

type Emitted = Omit<ProfileChanged, 'id'> | Omit<RecommendationsChanged, 'id'>;
let seq = 0;

function start(settings: Partial<ViewerSettings> = {}, popularity: PopularityScores = {}) {
  const clock = new VirtualClock(T0);
  const machine = createViewerMachine({
    catalog: movieflixCatalog,
    settings: { ...movieflixSettings, dislikeAfterMs: DISLIKE_AFTER, ...settings },
    popularity: () => popularity,
  });
  const actor = createActor(machine, { input: { key: 'u1' }, clock });
  const emitted: Emitted[] = [];
  actor.on('*', (e) => emitted.push(e as Emitted));
  actor.start();
  /** A report at the clock's time (or `atMs`). */
  const report = (showId: string, episodeId: string, positionSec: number, durationSec: number, atMs = clock.now()) => {
    const event: PositionRecorded = {
      id: `p${++seq}`, type: 'movieflix.position_recorded', key: 'u1', at: new Date(atMs).toISOString(),
      userId: 'u1', showId, episodeId, positionSec, durationSec,
    };
    actor.send(event);
  };
  /** Watches `minutes` of an episode, a report a minute, the clock moving along. */
  const watch = (showId: string, episodeId: string, fromMin: number, minutes: number, durationSec: number) => {
    for (let m = fromMin; m <= fromMin + minutes; m++) {
      report(showId, episodeId, Math.min(m * 60, durationSec), durationSec);
      if (m < fromMin + minutes) clock.advance(MIN);
    }
  };
  const profiles = () => emitted.filter((e): e is Omit<ProfileChanged, 'id'> => e.type === 'movieflix.profile_changed');
  const recommendations = () => emitted.filter((e): e is Omit<RecommendationsChanged, 'id'> => e.type === 'movieflix.recommendations_changed');
  const show = (showId: string) => actor.getSnapshot().context.shows[showId];
  return { clock, actor, emitted, report, watch, profiles, recommendations, show };
}

describe('viewer actor', () => {
  it('keeps the latest position per show, by event time, to resume from', () => {
    const v = start();
    v.report('harbour-lights', 's01e01', 100, 3000);
    v.clock.advance(MIN);
    v.report('harbour-lights', 's01e02', 50, 3000);
    v.report('iron-district', 's02e03', 700, 3300);
    // A late report with an older event time does not move the resume point back.
    v.report('harbour-lights', 's01e01', 2000, 3000, T0 + 30_000);
    expect(v.show('harbour-lights').resume).to.deep.equal({ episodeId: 's01e02', positionSec: 50, at: new Date(T0 + MIN).toISOString() });
    expect(v.show('iron-district').resume.episodeId).to.equal('s02e03');
    expect(v.show('harbour-lights').furthest).to.deep.equal({ s01e01: 2000, s01e02: 50 });
  });

  it('counts a show watched to the end of its season as liked', () => {
    const v = start();
    v.report('cold-ledger', 's01e05', 2700, 2700);
    expect(v.show('cold-ledger').status).to.equal('watching');
    v.report('cold-ledger', 's01e06', 2000, 2700);
    expect(v.show('cold-ledger').status).to.equal('watching');
    v.report('cold-ledger', 's01e06', 2600, 2700); // past 95 %: the credits roll on the finale
    expect(v.show('cold-ledger').status).to.equal('liked');
    expect(v.profiles().at(-1)).to.include({ showId: 'cold-ledger', status: 'liked', episodesCompleted: 2, episodesTotal: 6 });
    expect(v.profiles().at(-1)!.seasonsFinished).to.deep.equal([1]);
  });

  it('counts a show dropped after a few minutes as disliked once the delay passes on the clock', () => {
    const v = start();
    v.watch('midnight-static', 's01e01', 0, 3, 2700);
    expect(v.actor.getSnapshot().value).to.equal('awaiting');
    const emittedBefore = v.emitted.length;
    v.clock.advance(DISLIKE_AFTER - 1);
    expect(v.show('midnight-static').status).to.equal('watching');
    expect(v.emitted).to.have.length(emittedBefore);
    v.clock.advance(1);
    expect(v.show('midnight-static').status).to.equal('disliked');
    expect(v.actor.getSnapshot().value).to.equal('idle');
    const disliked = v.profiles().at(-1)!;
    expect(disliked).to.include({ showId: 'midnight-static', status: 'disliked', key: 'u1', watchedSec: 180 });
    // Stamped with the time the delay ran out, by event time.
    expect(disliked.at).to.equal(new Date(T0 + 3 * MIN + DISLIKE_AFTER).toISOString());
  });

  it('restarts the delay with every report: a show resumed in time is not disliked', () => {
    const v = start();
    v.watch('midnight-static', 's01e01', 0, 3, 2700);
    v.clock.advance(DISLIKE_AFTER - MIN);
    v.watch('midnight-static', 's01e01', 3, 2, 2700);
    v.clock.advance(DISLIKE_AFTER - 1);
    expect(v.show('midnight-static').status).to.equal('watching');
    v.clock.advance(1);
    expect(v.show('midnight-static').status).to.equal('disliked');
  });

  it('counts a show dropped after more than a few minutes as abandoned, not disliked', () => {
    const v = start({ dropWithinSec: 600 });
    v.report('the-quiet-orbit', 's01e01', 3600, 3600);
    v.report('the-quiet-orbit', 's01e02', 1200, 3600);
    v.clock.advance(DISLIKE_AFTER);
    expect(v.show('the-quiet-orbit').status).to.equal('abandoned');
  });

  it('judges a show left alone by event time while the user keeps watching others', () => {
    const v = start();
    v.report('midnight-static', 's01e01', 120, 2700);
    v.report('paper-kings', 's01e01', 60, 1500, T0 + HOUR);
    expect(v.show('midnight-static').status).to.equal('watching');
    // No clock movement at all: the report's event time is past the delay.
    v.report('paper-kings', 's01e02', 60, 1500, T0 + DISLIKE_AFTER);
    expect(v.show('midnight-static').status).to.equal('disliked');
    expect(v.show('paper-kings').status).to.equal('watching');
  });

  it('makes a disliked show that is resumed a show being watched again', () => {
    const v = start();
    v.report('midnight-static', 's01e01', 120, 2700);
    v.clock.advance(DISLIKE_AFTER);
    expect(v.show('midnight-static').status).to.equal('disliked');
    v.report('midnight-static', 's01e01', 200, 2700);
    expect(v.show('midnight-static').status).to.equal('watching');
    expect(v.actor.getSnapshot().value).to.equal('awaiting');
  });

  it('never dislikes a liked show', () => {
    const v = start();
    v.report('red-meridian', 's01e01', 7000, 7200);
    expect(v.show('red-meridian').status).to.equal('liked');
    expect(v.actor.getSnapshot().value).to.equal('idle');
    v.clock.advance(10 * DISLIKE_AFTER);
    expect(v.show('red-meridian').status).to.equal('liked');
  });

  it('recommends from what was liked, watched and disliked, and emits only when the list changes', () => {
    const v = start();
    v.watch('midnight-static', 's01e01', 0, 3, 2700);
    const watching = v.recommendations().at(-1)!.items;
    expect(watching.map((i) => i.showId)).to.include.members(['whispering-pines', 'hollow-creek']);
    expect(watching.find((i) => i.showId === 'whispering-pines')!.reason).to.equal('because you are watching Midnight Static');
    // Four reports, one list: reports inside an episode change nothing worth sending.
    expect(v.recommendations()).to.have.length(1);
    expect(v.profiles()).to.have.length(1);
    v.clock.advance(DISLIKE_AFTER);
    const after = v.recommendations().at(-1)!.items.map((i) => i.showId);
    expect(after).to.not.include('whispering-pines');
    expect(after).to.not.include('hollow-creek');
    expect(v.recommendations()).to.have.length(2);
  });

  it('takes the popularity it is given into account', () => {
    const popular: PopularityScores = { 'laugh-track': { viewers: 50, finishes: 20, score: 1 } };
    const v = start({}, popular);
    v.report('paper-kings', 's01e01', 60, 1500);
    const items = v.recommendations().at(-1)!.items;
    expect(items[0]).to.deep.equal({ showId: 'laugh-track', score: 2, reason: 'because you are watching Paper Kings' });
  });

  it('ignores a show or an episode that is not in the catalog, also for the delay', () => {
    const v = start();
    v.report('no-such-show', 's01e01', 60, 1500);
    v.report('paper-kings', 's09e01', 60, 1500);
    expect(v.actor.getSnapshot().context.shows).to.deep.equal({});
    expect(v.emitted).to.have.length(0);
    v.report('midnight-static', 's01e01', 120, 2700);
    v.clock.advance(DISLIKE_AFTER - MIN);
    v.report('no-such-show', 's01e01', 60, 1500);
    v.clock.advance(MIN);
    expect(v.show('midnight-static').status).to.equal('disliked');
  });

  it('takes its delay from the factory', () => {
    const v = start({ dislikeAfterMs: 1_000 });
    v.report('midnight-static', 's01e01', 120, 2700);
    v.clock.advance(999);
    expect(v.show('midnight-static').status).to.equal('watching');
    v.clock.advance(1);
    expect(v.show('midnight-static').status).to.equal('disliked');
  });

  it('survives a persisted snapshot round trip', () => {
    const v = start();
    v.watch('cold-ledger', 's01e01', 0, 3, 2700);
    const persisted = JSON.parse(JSON.stringify(v.actor.getPersistedSnapshot()));
    const machine = createViewerMachine({ catalog: movieflixCatalog, settings: { ...movieflixSettings, dislikeAfterMs: DISLIKE_AFTER } });
    const again = createActor(machine, { input: { key: 'u1' }, snapshot: persisted, clock: new VirtualClock(T0) }).start();
    expect(again.getSnapshot().context.shows['cold-ledger'].resume.positionSec).to.equal(180);
    expect(again.getSnapshot().context.version).to.equal(v.actor.getSnapshot().context.version);
    expect(again.getSnapshot().value).to.equal('awaiting');
  });
});

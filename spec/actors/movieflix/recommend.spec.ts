import { expect } from 'chai';
import { Catalog } from '../../../actors/movieflix/catalog.js';
import { type SeenShow, recommend, sameItems } from '../../../actors/movieflix/recommend.js';
import { movieflixCatalog } from '../../../config/movieflix.js';

const at = '2026-03-01T20:00:00.000Z';
const seen = (showId: string, status: SeenShow['status'], activeAt = at): SeenShow => ({ showId, status, activeAt });

describe('recommendation engine', () => {
  it('recommends nothing to a new user before any popularity is known', () => {
    expect(recommend([], movieflixCatalog, {}, 10)).to.deep.equal([]);
  });

  it('recommends what is popular to a new user', () => {
    const items = recommend([], movieflixCatalog, {
      'laugh-track': { viewers: 9, finishes: 4, score: 1 },
      'cold-ledger': { viewers: 3, finishes: 0, score: 0.4 },
    }, 10);
    expect(items).to.deep.equal([
      { showId: 'laugh-track', score: 1, reason: 'popular: 9 viewers, 4 season finishes' },
      { showId: 'cold-ledger', score: 0.4, reason: 'popular: 3 viewers, 0 season finishes' },
    ]);
  });

  it('ranks shows sharing the genres of a liked show first, and says why', () => {
    const items = recommend([seen('iron-district', 'liked')], movieflixCatalog, {}, 5);
    // deadline-city has all three of iron-district's genres (crime, drama, thriller).
    expect(items[0]).to.deep.equal({ showId: 'deadline-city', score: 3, reason: 'because you liked Iron District' });
    expect(items.map((i) => i.showId)).to.not.include('iron-district');
    expect(items).to.have.length(5);
  });

  it('prefers the liked show over the watched one as the reason, and leaves out disliked genres', () => {
    const items = recommend(
      [seen('paper-kings', 'watching'), seen('sunday-dinner', 'liked'), seen('midnight-static', 'disliked')],
      movieflixCatalog, {}, 40,
    );
    const ids = items.map((i) => i.showId);
    expect(ids).to.not.include.members(['whispering-pines', 'hollow-creek', 'quiet-water']);
    expect(items.find((i) => i.showId === 'laugh-track')!.reason).to.equal('because you liked Sunday Dinner');
    expect(items.every((i) => i.score > 0)).to.equal(true);
  });

  it('breaks ties by show id, so the list is the same every time', () => {
    const tiny = Catalog.from({
      version: 1,
      shows: ['b', 'a', 'c'].map((id) => ({ id, title: id, genres: ['drama'], seasons: [{ number: 1, episodes: 1, episodeDurationSec: 60 }] })),
    });
    expect(recommend([seen('c', 'watching')], tiny, {}, 10).map((i) => i.showId)).to.deep.equal(['a', 'b']);
  });

  it('compares lists by show, score and reason', () => {
    const a = [{ showId: 'x', score: 1, reason: 'r' }];
    expect(sameItems(a, [{ showId: 'x', score: 1, reason: 'r' }])).to.equal(true);
    expect(sameItems(a, [{ showId: 'x', score: 1.5, reason: 'r' }])).to.equal(false);
    expect(sameItems(a, [])).to.equal(false);
  });
});

describe('show catalog', () => {
  it('ships about forty shows, and knows their episodes and season finales', () => {
    expect(movieflixCatalog.shows.length).to.be.within(35, 50);
    expect(movieflixCatalog.episode('paper-kings', 's02e12')).to.include({ season: 2, episode: 12, seasonFinale: true, durationSec: 1500 });
    expect(movieflixCatalog.episode('paper-kings', 's02e11')!.seasonFinale).to.equal(false);
    expect(movieflixCatalog.episode('paper-kings', 's03e01')).to.equal(undefined);
    expect(movieflixCatalog.episode('paper-kings', 'episode-1')).to.equal(undefined);
    expect(movieflixCatalog.episodeCount('iron-district')).to.equal(28);
  });

  it('rejects a catalog with a show listed twice or a season out of order', () => {
    const show = { id: 'a', title: 'A', genres: ['drama'], seasons: [{ number: 1, episodes: 1, episodeDurationSec: 60 }] };
    expect(() => Catalog.from({ version: 1, shows: [show, show] })).to.throw(/listed twice/);
    expect(() => Catalog.from({ version: 1, shows: [{ ...show, seasons: [{ ...show.seasons[0], number: 2 }] }] })).to.throw(/numbered 2/);
    expect(() => Catalog.from({ version: 1, shows: [{ ...show, genres: [] }] })).to.throw(/genres/);
  });
});

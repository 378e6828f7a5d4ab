/** MovieFlix in the console: one user's resume points, profile (liked / disliked) and recommendations. */
import { z } from 'zod';
import type { MovieflixReadModel } from '../../apps/movieflix/MovieflixReadModel.js';
import { type DemoStep, consoleView } from './ConsoleView.js';

export const movieflixView = consoleView<MovieflixReadModel>()({
  app: 'movieflix',
  title: 'MovieFlix',
  reads: ['users', 'resumePoints', 'profile', 'recommendations'],
  query: z.object({ user: z.string().min(1).max(64).optional() }),
  demo: () => movieflixDemo(),
  read: (readModel, query) => {
    const users = readModel.users(50);
    // The user asked for, else the most recently active one.
    const user = query.user ?? users[0] ?? null;
    if (user === null) return { users, user, resume: [], profile: [], recommendations: null };
    return {
      users, user,
      resume: readModel.resumePoints(user),
      profile: readModel.profile(user),
      recommendations: readModel.recommendations(user) ?? null,
    };
  },
});

/** A few shows of config/movieflix-catalog.json: season 1's first episodes and their length. */
const SHOWS = [
  { showId: 'paper-kings', durationSec: 1_500 }, { showId: 'harbour-lights', durationSec: 3_000 },
  { showId: 'the-quiet-orbit', durationSec: 3_600 }, { showId: 'cold-ledger', durationSec: 2_700 },
  { showId: 'midnight-static', durationSec: 2_700 },
];

/** Six viewers, each watching a show episode after episode: a step moves one of them on. */
function movieflixDemo(): DemoStep {
  const viewers = Array.from({ length: 6 }, (_, i) => ({ userId: `viewer_${i + 1}`, show: SHOWS[i % SHOWS.length], episode: 1, positionSec: 0 }));
  let next = 0;
  return async (ctx) => {
    const v = viewers[next++ % viewers.length];
    v.positionSec = Math.min(v.show.durationSec, v.positionSec + 200 + Math.floor(ctx.random() * 600));
    await ctx.call('POST', '/movieflix/positions', {
      userId: v.userId, showId: v.show.showId, episodeId: `s01e${String(v.episode).padStart(2, '0')}`,
      positionSec: v.positionSec, durationSec: v.show.durationSec,
    }, { sub: v.userId, role: 'user' });
    if (v.positionSec >= v.show.durationSec) {
      // Now and then a viewer gives up on a show for another; else on to the next episode.
      if (v.episode >= 6 || ctx.random() < 0.15) Object.assign(v, { show: SHOWS[Math.floor(ctx.random() * SHOWS.length)], episode: 1 });
      else v.episode += 1;
      v.positionSec = 0;
    }
  };
}

/** MovieFlix in the console: one user's resume points, profile (liked / disliked) and recommendations. */
import { z } from 'zod';
import type { MovieflixReadModel } from '../../apps/movieflix/MovieflixReadModel.js';
import { consoleView } from './ConsoleView.js';

export const movieflixView = consoleView<MovieflixReadModel>()({
  app: 'movieflix',
  title: 'MovieFlix',
  reads: ['users', 'resumePoints', 'profile', 'recommendations'],
  query: z.object({ user: z.string().min(1).max(64).optional() }),
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

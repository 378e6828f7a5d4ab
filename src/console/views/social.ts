/** MySocialMedia in the console: the trending posts of the current window and the newest posts with their counts. */
import { z } from 'zod';
import type { SocialReadModel } from '../../apps/social/SocialReadModel.js';
import { type DemoStep, consoleView } from './ConsoleView.js';

export const socialView = consoleView<SocialReadModel>()({
  app: 'social',
  title: 'MySocialMedia',
  reads: ['trending', 'feed'],
  query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
  read: (readModel, query) => ({ trending: readModel.trending(10), newest: readModel.feed(query.limit) }),
  demo: () => socialDemo(),
});

const WORDS = ['streams', 'actors', 'snapshots', 'partitions', 'offsets', 'timers', 'projections', 'replays'];
const TAGS = ['kastor', 'kafka', 'xstate', 'sqlite', 'rxjs'];

/** Fans post now and then and like mostly the newest posts, so trending and counts move. */
function socialDemo(): DemoStep {
  const posts: string[] = [];
  return async (ctx) => {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(ctx.random() * xs.length)];
    const userId = `fan_${1 + Math.floor(ctx.random() * 60)}`;
    const as = { sub: userId, role: 'user' } as const;
    const r = ctx.random();
    if (posts.length < 3 || r < 0.12) {
      const res = await ctx.call('POST', '/social/posts', { userId, text: `${pick(WORDS)} and ${pick(WORDS)} #${pick(TAGS)}` }, as);
      if (res.status === 202) posts.push(res.body.postId as string);
      if (posts.length > 15) posts.shift();
      return;
    }
    // The newer the post, the likelier its like.
    const postId = posts[posts.length - 1 - Math.floor(ctx.random() ** 2 * posts.length)];
    if (r < 0.9) await ctx.call('POST', `/social/posts/${postId}/likes`, { userId }, as);
    else await ctx.call('POST', `/social/posts/${postId}/comments`, { userId, text: `${pick(WORDS)}!` }, as);
  };
}

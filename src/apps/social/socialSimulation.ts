/**
 * MySocialMedia under simulation, through its edge: users post, like, unlike, comment and delete
 * with the routes' own requests, each with its own bearer token (a post's id comes back in the
 * 202); a few requests are refused and must produce nothing: invalid ones (an empty text, a body
 * that is not JSON, a like on a post shown as deleted: 400/404), a deletion by someone who is not
 * the author (403), and callers acting as someone else (403) or with no token (401);
 * and a small share of records reaches the `likes` topic past the edge, malformed (another
 * producer's bug), for the dead-letter path.
 *
 * Clients act only on what they can see: a post is liked or commented once the read model shows
 * it (the edge would otherwise wait for it on the clock, which stands still while a request is
 * served). The ground truth follows the answers: a like counts once its 202 came back. The checks
 * compare the read model with it: likes = distinct likers, comments counted once, deletions
 * applied, bad records dead-lettered once each.
 */
import { socialTopics as t } from '../../../config/social.js';
import { deadLetterTopic } from '../../host/topology.js';
import { type SimRequest, caller } from '../../sim/SimEdge.js';
import type { Invariant, SimCall, SimView } from '../../sim/Simulation.js';
import { perTick, pick, skewed } from '../../sim/traffic.js';
import { SqliteSocialReadModel } from '../../../adapters/sqlite/SqliteSocialReadModel.js';
import type { IntentionallyUnreached } from '../../sim/coverage.js';
import type { AppSimulation, HostedApp, SimulationContext } from '../AppModule.js';

interface TruePost {
  readonly author: string;
  readonly likers: Set<string>;
  comments: number;
  deleted: boolean;
}

const INVALID = 0.015;

/** Transitions this traffic does not reach (statechart coverage, src/sim/coverage.ts). */
const PENDING = 'engagement with a post not yet created: the edge answers a like or comment only once the read model shows the post '
  + '(socialRoutes existingPost), so only a producer past the edge could send one; spec/actors/social/postMachine.spec.ts covers it';
export const socialUnreached: IntentionallyUnreached = {
  'social.post': {
    'pending --post.commented--> (stay)': PENDING,
    'pending --post.liked--> (stay) [notYetLiked]': PENDING,
    'pending --post.unliked--> (stay) [alreadyLiked]': PENDING,
  },
};

export function simulateSocial(_hosted: HostedApp, ctx: SimulationContext): AppSimulation {
  const { random, sizes, tickMs } = ctx;
  const { db } = ctx.app;
  const readModel = new SqliteSocialReadModel(db);
  const posts = new Map<string, TruePost>();
  /** Created, not yet shown by the read model. */
  let pending: string[] = [];
  /** Shown, not deleted: what users act on. */
  const live: string[] = [];
  /** Deleted, not yet shown as deleted. */
  let deleting: string[] = [];
  /** Deleted, and shown as deleted. */
  const gone: string[] = [];
  let malformed = 0;
  const user = () => `user_${skewed(sizes.users, random, 2)}`;

  /** What the users' feeds show now: posts made visible, deletions made visible. */
  const look = (): void => {
    pending = pending.filter((postId) => {
      const seen = readModel.post(postId);
      if (!seen) return true;
      if (!posts.get(postId)!.deleted) live.push(postId);
      return false;
    });
    deleting = deleting.filter((postId) => {
      if (!readModel.post(postId)?.deleted) return true;
      gone.push(postId);
      return false;
    });
    if (gone.length > 64) gone.splice(0, gone.length - 64);
  };

  /** A request the edge must refuse, producing nothing. */
  const invalid = (n: number): SimRequest => {
    const postId = live.length > 0 ? pick(live, random) : undefined;
    const userId = user();
    const other = userId === 'user_0' ? 'user_1' : 'user_0';
    switch (postId === undefined ? 0 : n % 6) {
      case 0:
        return { method: 'POST', url: '/social/posts', body: { userId, text: '' }, as: caller.user(userId), expect: 400 };
      case 1:
        return { method: 'POST', url: `/social/posts/${postId}/comments`, body: `{"userId": "${userId}", "text": `, as: caller.user(userId), expect: 400 };
      case 2: {
        const author = posts.get(postId!)!.author;
        const notAuthor = author === 'user_0' ? 'user_1' : 'user_0';
        return { method: 'DELETE', url: `/social/posts/${postId}`, body: { userId: notAuthor }, as: caller.user(notAuthor), expect: 403 };
      }
      case 3:
        // Liking in someone else's name.
        return { method: 'POST', url: `/social/posts/${postId}/likes`, body: { userId }, as: caller.user(other), expect: 403 };
      case 4:
        return { method: 'POST', url: `/social/posts/${postId}/likes`, body: { userId }, expect: 401 };
      default:
        return gone.length > 0
          ? { method: 'POST', url: `/social/posts/${pick(gone, random)}/likes`, body: { userId }, as: caller.user(userId), expect: 404 }
          : { method: 'POST', url: '/social/posts', body: { userId, text: 'x', hashtags: ['not one!'] }, as: caller.user(userId), expect: 400 };
    }
  };

  function* next(): Iterable<SimCall> {
    look();
    const n = perTick(sizes.rate, tickMs, random);
    // The edge stamps each event with its clock: the requests of a tick all come at its end.
    for (let i = 0; i < n; i++) {
      const roll = random();
      if (roll < INVALID) {
        yield invalid(Math.floor(random() * 1000));
        continue;
      }
      if (live.length === 0 || roll < 0.08) {
        const userId = user();
        yield {
          method: 'POST', url: '/social/posts', body: { userId, text: `hello from ${userId}`, hashtags: ['sim'] }, as: caller.user(userId), expect: 202,
          then: ({ body }) => {
            posts.set(body.postId, { author: userId, likers: new Set(), comments: 0, deleted: false });
            pending.push(body.postId);
          },
        };
        continue;
      }
      const index = live.length - 1 - skewed(live.length, random);
      const postId = live[index];
      const post = posts.get(postId)!;
      if (roll < 0.085) {
        malformed++;
        yield { topic: t.likes.name, key: postId, value: `{"malformed": ${malformed}` };
      } else if (roll < 0.1) {
        yield {
          method: 'DELETE', url: `/social/posts/${postId}`, body: { userId: post.author }, as: caller.user(post.author), expect: 202,
          then: () => {
            post.deleted = true;
            live.splice(live.indexOf(postId), 1);
            deleting.push(postId);
          },
        };
      } else if (roll < 0.2 && post.likers.size > 0) {
        const userId = pick([...post.likers], random);
        yield { method: 'DELETE', url: `/social/posts/${postId}/likes/${userId}`, as: caller.user(userId), expect: 202, then: () => post.likers.delete(userId) };
      } else if (roll < 0.35) {
        const userId = user();
        yield {
          method: 'POST', url: `/social/posts/${postId}/comments`, body: { userId, text: 'nice' }, as: caller.user(userId), expect: 202,
          then: () => post.comments++,
        };
      } else {
        const userId = user();
        yield { method: 'POST', url: `/social/posts/${postId}/likes`, body: { userId }, as: caller.user(userId), expect: 202, then: () => post.likers.add(userId) };
      }
    }
  }

  const check = (view: SimView): Invariant[] => {
    const wrong: string[] = [];
    const deletedWrong: string[] = [];
    for (const [postId, truth] of posts) {
      const seen = readModel.post(postId);
      if (truth.deleted) {
        if (seen && !seen.deleted) deletedWrong.push(postId);
        continue;
      }
      if (!seen || seen.likes !== truth.likers.size || seen.comments !== truth.comments) {
        wrong.push(`${postId}: read model ${seen ? `${seen.likes} likes/${seen.comments} comments` : 'missing'}, truth ${truth.likers.size}/${truth.comments}`);
      }
    }
    const dead = new Set(view.records(deadLetterTopic('social').name).map((r) => r.value));
    return [
      { name: 'social: likes = distinct likers and comments counted once, per live post', held: wrong.length === 0, detail: wrong.slice(0, 3).join('; ') || `${posts.size} posts` },
      { name: 'social: deleted posts show as deleted', held: deletedWrong.length === 0, detail: deletedWrong.slice(0, 3).join(', ') },
      { name: 'social: every malformed record dead-lettered', held: dead.size === malformed, detail: `${dead.size} of ${malformed}` },
    ];
  };

  const readModels = (): string => {
    const all = db.prepare('SELECT post_id, user_id, likes, comments, deleted, version FROM social_posts ORDER BY post_id').all();
    const trending = db.prepare('SELECT * FROM social_trending ORDER BY rank').all();
    return JSON.stringify({ posts: all, trending });
  };

  return { traffic: { next }, check, readModels, unreached: socialUnreached };
}

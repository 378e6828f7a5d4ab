/**
 * MySocialMedia under simulation: users post, like, unlike, comment and delete; a small share of
 * records is malformed. The generator keeps the ground truth, and the checks compare the read
 * model with it: likes = distinct likers, comments counted once, deletions applied, bad records
 * dead-lettered once each.
 */
import { socialTopics as t } from '../../../config/social.js';
import { socialApp } from '../../apps/social/socialApp.js';
import { deadLetterTopic } from '../../host/topology.js';
import type { Invariant, SimApp, SimEnvironment, SimRecord } from '../../sim/Simulation.js';
import { type SimSizes, perTick, pick, skewed, timesIn } from '../../sim/traffic.js';
import { SqliteSocialReadModel } from '../../../adapters/sqlite/SqliteSocialReadModel.js';
import type { SqliteDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';

interface TruePost {
  readonly author: string;
  readonly likers: Set<string>;
  comments: number;
  deleted: boolean;
}

export function socialSim(env: SimEnvironment, db: SqliteDatabase, sizes: SimSizes, tickMs: number): SimApp {
  const readModel = new SqliteSocialReadModel(db);
  const { random, ids } = env;
  const posts = new Map<string, TruePost>();
  const live: string[] = [];
  let malformed = 0;
  const user = () => `user_${skewed(sizes.users, random, 2)}`;
  const event = (topic: string, key: string, fields: Record<string, unknown>, at: string): SimRecord =>
    ({ topic, key, value: JSON.stringify({ id: ids.next(), key, at, ...fields }) });

  const next = (until: number): SimRecord[] => {
    const n = perTick(sizes.rate, tickMs, random);
    return timesIn(until, tickMs, n).map((at): SimRecord => {
      const roll = random();
      if (live.length === 0 || roll < 0.08) {
        const userId = user();
        const postId = `post_${ids.next()}`;
        posts.set(postId, { author: userId, likers: new Set(), comments: 0, deleted: false });
        live.push(postId);
        return event(t.posts.name, userId, { type: 'post.created', postId, userId, text: `hello from ${userId}`, hashtags: ['sim'] }, at);
      }
      const index = live.length - 1 - skewed(live.length, random);
      const postId = live[index];
      const post = posts.get(postId)!;
      if (roll < 0.085) {
        malformed++;
        return { topic: t.likes.name, key: postId, value: `{"malformed": ${malformed}` };
      }
      if (roll < 0.1) {
        post.deleted = true;
        live.splice(index, 1);
        return event(t.posts.name, post.author, { type: 'post.deleted', postId, userId: post.author }, at);
      }
      if (roll < 0.2 && post.likers.size > 0) {
        const userId = pick([...post.likers], random);
        post.likers.delete(userId);
        return event(t.likes.name, postId, { type: 'post.unliked', postId, userId }, at);
      }
      if (roll < 0.35) {
        post.comments++;
        return event(t.comments.name, postId, { type: 'post.commented', postId, userId: user(), commentId: `c_${ids.next()}`, text: 'nice' }, at);
      }
      const userId = user();
      post.likers.add(userId);
      return event(t.likes.name, postId, { type: 'post.liked', postId, userId }, at);
    });
  };

  const check = (view: Parameters<SimApp['check']>[0]): Invariant[] => {
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

  return { definition: socialApp(readModel), traffic: { next }, check };
}

export function socialReadModels(db: SqliteDatabase): string {
  const posts = db.prepare('SELECT post_id, user_id, likes, comments, deleted, version FROM social_posts ORDER BY post_id').all();
  const trending = db.prepare('SELECT * FROM social_trending ORDER BY rank').all();
  return JSON.stringify({ posts, trending });
}

/**
 * A MySocialMedia workload with a known outcome (spec/host/commitProtocol.spec.ts and its worker
 * threads variant): six posts, then 120 likes, unlikes and comments spread over them.
 */
import type { socialTopics } from '../../config/social.js';

export const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString();

/** A workload with a known outcome: per post, distinct likers minus unlikes, and comments. */
export function workload() {
  const events: Array<[keyof typeof socialTopics, string, Record<string, unknown>]> = [];
  const expected = new Map<string, { likers: Set<string>; comments: number }>();
  let n = 0;
  for (let p = 0; p < 6; p++) {
    const postId = `post_${p}`;
    expected.set(postId, { likers: new Set(), comments: 0 });
    events.push(['posts', `author_${p}`, { id: `e${n++}`, type: 'post.created', key: `author_${p}`, at: at(n), postId, userId: `author_${p}`, text: `post ${p}` }]);
  }
  for (let i = 0; i < 120; i++) {
    const postId = `post_${i % 6}`;
    const userId = `user_${(i * 7) % 11}`;
    const e = expected.get(postId)!;
    if (i % 5 === 0) {
      events.push(['comments', postId, { id: `e${n++}`, type: 'post.commented', key: postId, at: at(n), postId, userId, commentId: `c${i}`, text: 'hey' }]);
      e.comments++;
    } else if (i % 9 === 0) {
      events.push(['likes', postId, { id: `e${n++}`, type: 'post.unliked', key: postId, at: at(n), postId, userId }]);
      e.likers.delete(userId);
    } else {
      events.push(['likes', postId, { id: `e${n++}`, type: 'post.liked', key: postId, at: at(n), postId, userId }]);
      e.likers.add(userId);
    }
  }
  return { events, expected };
}


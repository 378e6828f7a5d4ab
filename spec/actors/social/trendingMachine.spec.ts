import { expect } from 'chai';
import { createActor } from 'xstate';
import { trendingMachine } from '../../../actors/social/trendingMachine.js';
import type { PostCountsChanged } from '../../../actors/social/events.js';
import { type Activity, recordActivity, scoreAt } from '../../../actors/social/activity.js';
import { seededRandom } from '../../../src/ids/IdSource.js';

const minute0 = Math.floor(Date.UTC(2026, 0, 1, 12, 0) / 60_000);
const at = (m: number) => new Date((minute0 + m) * 60_000).toISOString();

function counts(postId: string, m: number, activity: Array<[number, number]>, extra: Partial<PostCountsChanged> = {}): PostCountsChanged {
  return {
    id: `${postId}-${m}`, type: 'post.counts_changed', key: postId, at: at(m), postId, userId: 'u', text: 't',
    hashtags: [], createdAt: at(0), likes: 0, comments: 0, deleted: false, version: 1,
    activity: activity.map(([mm, n]) => [minute0 + mm, n]), ...extra,
  };
}

describe('trending actor', () => {
  function start() {
    const actor = createActor(trendingMachine, { input: { key: 'all' } });
    const emitted: Array<{ items: Array<{ postId: string; score: number }>; windowEnd: string }> = [];
    actor.on('trending.changed', (e) => emitted.push(e));
    actor.start();
    return { actor, emitted };
  }

  it('ranks posts by engagement in the past hour', () => {
    const { actor, emitted } = start();
    actor.send(counts('a', 1, [[1, 3]]));
    actor.send(counts('b', 2, [[2, 5]]));
    actor.send(counts('c', 3, [[3, 1]]));
    expect(emitted.at(-1)!.items.map((i) => i.postId)).to.deep.equal(['b', 'a', 'c']);
  });

  it('lets engagement older than an hour fall out of the window', () => {
    const { actor, emitted } = start();
    actor.send(counts('old', 0, [[0, 50]]));
    actor.send(counts('new', 61, [[61, 2]]));
    expect(emitted.at(-1)!.items.map((i) => i.postId)).to.deep.equal(['new']);
  });

  it('drops deleted posts', () => {
    const { actor, emitted } = start();
    actor.send(counts('a', 1, [[1, 3]]));
    actor.send(counts('b', 1, [[1, 2]]));
    actor.send(counts('a', 2, [[1, 3]], { deleted: true }));
    expect(emitted.at(-1)!.items.map((i) => i.postId)).to.deep.equal(['b']);
  });

  it('emits only when the ranking changes', () => {
    const { actor, emitted } = start();
    actor.send(counts('a', 1, [[1, 3]]));
    actor.send(counts('a', 1, [[1, 3]]));
    expect(emitted).to.have.length(1);
  });

  it('keeps the same top as ranking every candidate again on every event', () => {
    // The reference: the whole pool re-scored and sorted on each event, as the first version did.
    const POOL = 200;
    let pool = new Map<string, { activity: Activity; likes: number; comments: number }>();
    let now = 0;
    const reference = (e: PostCountsChanged) => {
      now = Math.max(now, Math.floor(Date.parse(e.at) / 60_000));
      if (e.deleted) pool.delete(e.postId);
      else pool.set(e.postId, { activity: e.activity, likes: e.likes, comments: e.comments });
      const ranked = [...pool].map(([postId, c]) => ({ postId, c, score: scoreAt(c.activity, now) }))
        .filter((r) => r.score > 0).sort((a, b) => b.score - a.score || (a.postId < b.postId ? -1 : 1)).slice(0, POOL);
      pool = new Map(ranked.map((r) => [r.postId, r.c]));
      return ranked.slice(0, 20).map((r) => ({ postId: r.postId, score: r.score, likes: r.c.likes, comments: r.c.comments }));
    };
    const random = seededRandom(5);
    const activities = new Map<string, Activity>();
    const actor = createActor(trendingMachine, { input: { key: 'all' } }).start();
    let m = 0;
    for (let i = 0; i < 3_000; i++) {
      if (random() < 0.02) m += 1 + Math.floor(random() * 5);
      const postId = `p${Math.floor(random() ** 2 * 400)}`;
      // Now and then a late event, a minute or two behind.
      const minute = Math.max(0, m - (random() < 0.1 ? 2 : 0));
      const activity = recordActivity(activities.get(postId) ?? [], at(minute));
      activities.set(postId, activity);
      const e = counts(postId, minute, [], { activity: activity.map(([mm, n]) => [mm, n] as [number, number]), likes: i % 7, deleted: random() < 0.01 });
      actor.send(e);
      expect(actor.getSnapshot().context.top, `event ${i}`).to.deep.equal(reference(e));
    }
  });
});

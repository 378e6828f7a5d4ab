import { expect } from 'chai';
import { createActor } from 'xstate';
import { trendingMachine } from '../../../actors/social/trendingMachine.js';
import type { PostCountsChanged } from '../../../actors/social/events.js';

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
});

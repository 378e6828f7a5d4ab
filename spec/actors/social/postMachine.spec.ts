import { expect } from 'chai';
import { createActor } from 'xstate';
import { postMachine } from '../../../actors/social/postMachine.js';
import type { PostEvent } from '../../../actors/social/events.js';
import { likerIds } from '../../../actors/social/likerSet.js';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();
let seq = 0;
const ev = <T extends PostEvent['type']>(type: T, fields: Record<string, unknown>, minute = 0) =>
  ({ id: `e${++seq}`, type, key: 'post_1', at: at(minute), postId: 'post_1', ...fields }) as unknown as PostEvent;

function start() {
  const actor = createActor(postMachine, { input: { key: 'post_1' } });
  const emitted: Array<{ likes: number; comments: number; deleted: boolean; version: number }> = [];
  actor.on('post.counts_changed', (e) => emitted.push(e));
  actor.start();
  return { actor, emitted };
}

const created = () => ev('post.created', { userId: 'alice', text: 'hi', links: [], media: [], hashtags: [] });

describe('post actor', () => {
  it('counts one like per user, and an unlike removes it', () => {
    const { actor, emitted } = start();
    actor.send(created());
    actor.send(ev('post.liked', { userId: 'bob' }));
    actor.send(ev('post.liked', { userId: 'carol' }));
    actor.send(ev('post.liked', { userId: 'carol' }));
    expect(likerIds(actor.getSnapshot().context.likers)).to.deep.equal(['bob', 'carol']);
    actor.send(ev('post.unliked', { userId: 'bob' }));
    actor.send(ev('post.unliked', { userId: 'bob' }));
    expect(emitted.map((e) => e.likes)).to.deep.equal([0, 1, 2, 1]);
    expect(emitted.map((e) => e.version)).to.deep.equal([1, 2, 3, 4]);
  });

  it('counts comments', () => {
    const { actor, emitted } = start();
    actor.send(created());
    actor.send(ev('post.commented', { userId: 'bob', commentId: 'c1', text: 'nice' }));
    actor.send(ev('post.commented', { userId: 'bob', commentId: 'c2', text: 'again' }));
    expect(emitted.at(-1)).to.include({ comments: 2, likes: 0 });
  });

  it('keeps likes and comments that arrive before the post, and reports them once it exists', () => {
    const { actor, emitted } = start();
    actor.send(ev('post.liked', { userId: 'bob' }));
    actor.send(ev('post.commented', { userId: 'bob', commentId: 'c1', text: 'first' }));
    expect(emitted).to.have.length(0);
    actor.send(created());
    expect(emitted).to.have.length(1);
    expect(emitted[0]).to.include({ likes: 1, comments: 1 });
  });

  it('lets only the author delete, and ignores engagement afterwards', () => {
    const { actor, emitted } = start();
    actor.send(created());
    actor.send(ev('post.deleted', { userId: 'mallory' }));
    expect(actor.getSnapshot().value).to.equal('active');
    actor.send(ev('post.deleted', { userId: 'alice' }));
    expect(actor.getSnapshot().value).to.equal('deleted');
    expect(emitted.at(-1)).to.include({ deleted: true });
    actor.send(ev('post.liked', { userId: 'bob' }));
    expect(emitted.at(-1)).to.include({ deleted: true, likes: 0 });
  });

  it('tracks engagement per minute over the past hour', () => {
    const { actor } = start();
    actor.send(created());
    actor.send(ev('post.liked', { userId: 'a' }, 0));
    actor.send(ev('post.liked', { userId: 'b' }, 0));
    actor.send(ev('post.commented', { userId: 'c', commentId: 'c1', text: 'x' }, 30));
    actor.send(ev('post.liked', { userId: 'd' }, 61));
    // Minute 0 left the hour that ends at minute 61.
    expect(actor.getSnapshot().context.activity.map(([, n]) => n)).to.deep.equal([1, 1]);
  });

  it('survives a persisted snapshot round trip', () => {
    const { actor } = start();
    actor.send(created());
    actor.send(ev('post.liked', { userId: 'bob' }));
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    const again = createActor(postMachine, { input: { key: 'post_1' }, snapshot: persisted }).start();
    again.send(ev('post.liked', { userId: 'bob' }));
    again.send(ev('post.liked', { userId: 'zed' }));
    expect(likerIds(again.getSnapshot().context.likers)).to.deep.equal(['bob', 'zed']);
  });
});

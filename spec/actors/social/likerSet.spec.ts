import { expect } from 'chai';
import { addLiker, hasLiker, likerCount, likerIds, noLikers, removeLiker, type LikerSet } from '../../../actors/social/likerSet.js';
import { seededRandom } from '../../../src/ids/IdSource.js';

describe('liker set', () => {
  it('agrees with a Set over thousands of random likes and unlikes, across chunk splits', () => {
    const random = seededRandom(11);
    const truth = new Set<string>();
    let set: LikerSet = noLikers;
    for (let i = 0; i < 20_000; i++) {
      const user = `user_${Math.floor(random() * 5_000)}`;
      if (random() < 0.3) {
        set = removeLiker(set, user);
        truth.delete(user);
      } else {
        set = addLiker(set, user);
        truth.add(user);
      }
      expect(hasLiker(set, user)).to.equal(truth.has(user));
    }
    expect(likerCount(set)).to.equal(truth.size);
    expect(likerIds(set)).to.deep.equal([...truth].sort());
    expect(set.length, 'chunks').to.be.greaterThan(1);
    expect(Math.max(...set.map((c) => c.length))).to.be.at.most(512);
  });

  it('never changes a set it was given, and returns it unchanged when there is nothing to do', () => {
    const one = addLiker(noLikers, 'bob');
    const two = addLiker(one, 'alice');
    expect(likerIds(one)).to.deep.equal(['bob']);
    expect(likerIds(two)).to.deep.equal(['alice', 'bob']);
    expect(addLiker(two, 'bob')).to.equal(two);
    expect(removeLiker(two, 'carol')).to.equal(two);
    expect(likerIds(removeLiker(two, 'alice'))).to.deep.equal(['bob']);
    expect(likerIds(two)).to.deep.equal(['alice', 'bob']);
    expect(removeLiker(removeLiker(one, 'bob'), 'bob')).to.deep.equal([]);
  });

  it('is plain JSON: a snapshot round trip gives the same set', () => {
    let set: LikerSet = noLikers;
    for (let i = 0; i < 1_500; i++) set = addLiker(set, `u${(i * 7_919) % 1_500}`);
    const again = JSON.parse(JSON.stringify(set)) as LikerSet;
    expect(likerIds(again)).to.deep.equal(likerIds(set));
    expect(hasLiker(again, 'u42')).to.equal(true);
  });
});

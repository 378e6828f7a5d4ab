/**
 * A read model every instance builds whole (Stage.everyInstance), on the memory broker: two
 * runtimes with their own stores share the post actor's partitions (one group) and each reads every
 * partition of the read model's topics (a group per instance), so either answers every post. One
 * started later reads the read model to the end it found before it says it is ready.
 */
import { expect } from 'chai';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteSocialReadModel } from '../../adapters/sqlite/SqliteSocialReadModel.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { socialTopics } from '../../config/social.js';
import { socialApp } from '../../src/apps/social/socialApp.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { waitFor } from '../support/waitFor.js';

const at = '2026-01-01T12:00:00.000Z';
const POSTS = 24;

describe('a read model every instance builds whole', function () {
  this.timeout(20_000);
  const started: Array<{ runtime: Runtime; store: SqliteStateStore }> = [];
  afterEach(async () => {
    for (const p of started.splice(0)) {
      await p.runtime.stop();
      p.store.close();
    }
  });

  async function instance(broker: MemoryBroker, name: string) {
    const store = new SqliteStateStore(':memory:');
    const readModel = new SqliteSocialReadModel(store.db);
    const runtime = new Runtime([socialApp(readModel)], {
      broker, store, clock: new SystemClock(), ids: seededIdSource(started.length + 1), instance: name,
    });
    await runtime.start();
    started.push({ runtime, store });
    return { runtime, readModel };
  }

  async function produce(broker: MemoryBroker, from: number, to: number) {
    const records = [];
    for (let i = from; i < to; i++) {
      const postId = `post_${i}`;
      records.push({ topic: socialTopics.posts.name, key: 'alice', value: JSON.stringify({ id: `c${i}`, type: 'post.created', key: 'alice', at, postId, userId: 'alice', text: `post ${i}`, links: [], media: [], hashtags: [] }) });
      for (const userId of ['bob', 'carol']) {
        records.push({ topic: socialTopics.likes.name, key: postId, value: JSON.stringify({ id: `l${i}${userId}`, type: 'post.liked', key: postId, at, postId, userId }) });
      }
    }
    await broker.producer().send(records);
  }

  const complete = (readModel: SqliteSocialReadModel, posts: number) => {
    for (let i = 0; i < posts; i++) if (readModel.post(`post_${i}`)?.likes !== 2) return false;
    return true;
  };

  it('shares the actors\' partitions, and gives each instance every partition of the read model', async () => {
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const a = await instance(broker, 'a');
    const b = await instance(broker, 'b');
    await produce(broker, 0, POSTS);
    await waitFor(() => complete(a.readModel, POSTS) && complete(b.readModel, POSTS), { timeoutMs: 15_000, message: 'both read models hold every post with its likes' });

    const likes = socialTopics.likes.name;
    const [ra, rb] = [a.runtime.readiness, b.runtime.readiness];
    const shares = [ra, rb].map((r) => r.stages['social.post'].assigned[likes] ?? []);
    expect(shares[0].length).to.be.greaterThan(0);
    expect(shares[1].length).to.be.greaterThan(0);
    expect(shares[0].length + shares[1].length).to.equal(socialTopics.likes.partitions);
    for (const r of [ra, rb]) {
      expect(r.stages['social.read_model'].assigned[socialTopics.postsWithCounts.name]).to.have.length(socialTopics.postsWithCounts.partitions);
    }
    const groups = a.runtime.stageRunners.map((s) => s.groupId).sort();
    expect(groups).to.include('kastor.social.read_model.a').and.to.include('kastor.social.post');
    expect(b.runtime.stageRunners.map((s) => s.groupId)).to.include('kastor.social.read_model.b');
  });

  it('makes an instance that joins later ready only once its read model holds what was there', async () => {
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const a = await instance(broker, 'a');
    await produce(broker, 0, POSTS);
    await waitFor(() => complete(a.readModel, POSTS), { timeoutMs: 15_000, message: 'the first read model holds every post' });

    const c = await instance(broker, 'c');
    // Whenever it says it is ready, its read model holds every post the first one held.
    let sawReady = false;
    await waitFor(() => {
      if (!c.runtime.ready) return false;
      sawReady = true;
      return true;
    }, { timeoutMs: 15_000, message: 'the later instance ready' });
    expect(sawReady).to.equal(true);
    expect(complete(c.readModel, POSTS), 'complete as soon as ready').to.equal(true);
  });
});

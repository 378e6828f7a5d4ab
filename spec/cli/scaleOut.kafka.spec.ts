/**
 * Several instances of `kastor run social --transport kafka` on one cluster (issue 16): each is a
 * child process with its own data directory and port; likes go to either instance, as a load
 * balancer would send them. Every instance builds the whole read model (a group of its own per
 * instance, Stage.everyInstance), so any instance answers any post, current within a bounded time,
 * and the edge refuses no like on a post another instance's actors own. One instance killed (-9)
 * loses nothing; an instance added later reads the read model up to the end before it is ready.
 * Two of them run two worker threads (the process is still one member of each group).
 *
 * The topics are the real social topics (as in kafkaProcess.spec.ts): a fresh data directory starts
 * at their end, and each run uses its own posts.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { SqliteSocialReadModel } from '../../adapters/sqlite/SqliteSocialReadModel.js';
import { SqliteStateStore, openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { workerStateFiles } from '../../src/cli/workers/layout.js';
import { socialTopics } from '../../config/social.js';
import { socialApp } from '../../src/apps/social/socialApp.js';
import type { TopicPartitionOffset } from '../../src/broker/Record.js';
import { type KastorChild, childTokens, postJson, startAtTheEnd, startKastor, stopKastor } from '../support/childProcess.js';
import { describeKafka, kafkaBrokers } from '../support/kafka.js';
import { waitFor } from '../support/waitFor.js';

/** How long a read on any instance may lag the likes accepted (the bound the spec holds it to). */
const CURRENT_WITHIN_MS = 30_000;
/** A takeover after kill -9 waits for the group's session to time out (10 s) first. */
const TAKEOVER_MS = 60_000;
const READ_MODEL = 'social.read_model';

interface PostView {
  readonly likes: number;
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'kastor-scale-out-'));
const by = async (sub: string) => ({ headers: await (await childTokens()).header(sub, 'user') });

async function readyz(base: string): Promise<{ status: number; body: { ready: boolean; stages: Record<string, { assigned: Record<string, number[]>; restoring: string[] }> } }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: await res.json() as never };
}

describeKafka('several instances of kastor run social on kafka', function () {
  this.timeout(240_000);
  let broker: KafkaBroker;
  const dirs: string[] = [];
  const children: KastorChild[] = [];
  before(() => {
    broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'scale-out-spec', logger: { error() {}, warn() {}, info() {} } });
  });
  after(async () => {
    await Promise.all(children.splice(0).map((c) => stopKastor(c, 'SIGKILL')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    await broker?.close();
  });

  /**
   * An instance on a fresh directory, with `workers` worker threads: every stage starts at the
   * topics' end, the read model at `readFrom` if given.
   */
  async function instance(workers: number, readFrom?: readonly TopicPartitionOffset[]): Promise<KastorChild> {
    const dir = tmp();
    dirs.push(dir);
    const memory = openDatabase(':memory:');
    await startAtTheEnd(dir, socialApp(new SqliteSocialReadModel(memory)), broker.admin, workers);
    memory.close();
    if (readFrom) {
      workerStateFiles(dir, workers).forEach((file, worker) => {
        const store = new SqliteStateStore(file);
        store.stage(READ_MODEL).commit({ snapshots: [], outbox: [], offsets: readFrom.filter((o) => o.partition % workers === worker) });
        store.close();
      });
    }
    const child = await startKastor({
      dataDir: dir,
      args: ['social', '--transport', 'kafka', '--brokers', kafkaBrokers(), '--rate-limit', 'user=off', '--workers', String(workers)],
      env: { UV_THREADPOOL_SIZE: '16' },
      timeoutMs: 60_000,
    });
    children.push(child);
    return child;
  }

  /** Where the read model's topics end now. */
  async function ends(): Promise<TopicPartitionOffset[]> {
    const offsets: TopicPartitionOffset[] = [];
    for (const topic of [socialTopics.postsWithCounts.name, socialTopics.trendingPosts.name]) {
      const description = await broker.admin.describeTopic(topic);
      for (let partition = 0; partition < (description?.partitions ?? 0); partition++) {
        offsets.push({ topic, partition, offset: (await broker.admin.watermarks({ topic, partition })).high });
      }
    }
    return offsets;
  }

  const view = async (base: string, postId: string): Promise<PostView | undefined> => {
    const res = await fetch(`${base}/social/posts/${postId}`, await by('reader'));
    return res.status === 200 ? (await res.json()) as PostView : undefined;
  };

  /** Every post, read from `base`, counts the likes accepted for it, within CURRENT_WITHIN_MS. */
  async function answersEveryPost(base: string, truth: ReadonlyMap<string, ReadonlySet<string>>, what: string, timeoutMs = CURRENT_WITHIN_MS): Promise<void> {
    let wrong: string[] = [];
    await waitFor(async () => {
      wrong = [];
      for (const [postId, likers] of truth) {
        const v = await view(base, postId);
        if (v?.likes !== likers.size) wrong.push(`${postId}: ${v?.likes ?? 'missing'} of ${likers.size}`);
      }
      return wrong.length === 0;
    }, { timeoutMs, message: () => `${what}: every post's likes on ${base}; wrong: ${wrong.slice(0, 5).join(', ')} (${wrong.length} in all)` });
  }

  it('answers every post from every instance, refuses no valid like, survives kill -9 of one, and lets a new one catch up first', async () => {
    const start = await ends();
    const x = await instance(1);
    const y = await instance(2);
    for (const child of [x, y]) await waitFor(async () => (await readyz(child.base)).status === 200, { timeoutMs: 60_000, message: `${child.base} ready` });
    // Each instance holds a share of the post actor's partitions, and the whole read model.
    const [rx, ry] = [(await readyz(x.base)).body, (await readyz(y.base)).body];
    const likes = socialTopics.likes.name;
    const shares = [rx, ry].map((r) => r.stages['social.post'].assigned[likes] ?? []);
    let all: unknown;
    await waitFor(async () => {
      const bodies = await Promise.all([x, y].map(async (c) => (await readyz(c.base)).body.stages['social.post'].assigned));
      all = bodies;
      const now = bodies.map((b) => b[likes] ?? []);
      shares.splice(0, 2, ...now);
      return now[0].length > 0 && now[1].length > 0;
    }, { timeoutMs: 60_000, message: () => `both instances hold likes partitions: ${JSON.stringify(all)}` });
    expect(shares[0].length + shares[1].length).to.equal(socialTopics.likes.partitions);
    // Co-partitioned: an instance given likes p is given comments p and the posts' repartition p,
    // so one instance alone hosts each post's actor.
    for (const assigned of all as Array<Record<string, number[]>>) {
      expect(assigned[socialTopics.comments.name], 'comments as likes').to.deep.equal(assigned[likes]);
      expect(assigned['internal.social.posts_by_post_id'], 'the posts\' repartition as likes').to.deep.equal(assigned[likes]);
    }
    for (const r of [rx, ry]) expect(r.stages[READ_MODEL].assigned[socialTopics.postsWithCounts.name]).to.have.length(socialTopics.postsWithCounts.partitions);

    const instances = [x, y];
    const truth = new Map<string, Set<string>>();
    for (let i = 0; i < 12; i++) {
      const at = instances[i % 2].base;
      const res = await postJson(at, '/social/posts', { userId: 'alice', text: `scale-out ${i}` }, await by('alice'));
      expect(res.status).to.equal(202);
      truth.set(((await res.json()) as { postId: string }).postId, new Set());
    }
    const posts = [...truth.keys()];
    // A client likes a post it has seen: each instance shows every post before the likes (the edge
    // waits 1 s for a post it does not know yet; the path through Kafka may take longer while the
    // groups settle after the instances joined).
    await answersEveryPost(x.base, truth, 'instance X shows the new posts');
    await answersEveryPost(y.base, truth, 'instance Y shows the new posts');
    const refused: string[] = [];
    /** Likes from 25 users spread over the posts, each sent to the next instance in turn. */
    const send = async (from: number, count: number, to: readonly KastorChild[]) => {
      for (let i = from; i < from + count; i++) {
        const postId = posts[(i * 7) % posts.length];
        const userId = `u${i % 25}`;
        const res = await postJson(to[i % to.length].base, `/social/posts/${postId}/likes`, { userId }, await by(userId));
        if (res.status === 202) truth.get(postId)!.add(userId);
        else refused.push(`${res.status} from ${to[i % to.length].base} for ${postId}: ${await res.text()}`);
      }
    };
    await send(0, 240, instances);
    expect(refused, 'valid likes refused').to.deep.equal([]);
    await answersEveryPost(x.base, truth, 'instance X');
    await answersEveryPost(y.base, truth, 'instance Y');

    // Y dies as kill -9 ends it: X takes its partitions over once the group's session times out.
    expect(await stopKastor(y, 'SIGKILL')).to.equal(null);
    children.splice(children.indexOf(y), 1);
    await send(240, 120, [x]);
    expect(refused, 'valid likes refused after the kill').to.deep.equal([]);
    await answersEveryPost(x.base, truth, 'instance X after Y was killed', TAKEOVER_MS);

    // A new instance (two workers) reads the read model from where the spec began: not ready until
    // it has read to the end it found, and then exact at once.
    const z = await instance(2, start);
    await waitFor(async () => (await readyz(z.base)).status === 200, { timeoutMs: 60_000, message: 'instance Z ready' });
    await answersEveryPost(z.base, truth, 'instance Z, as soon as it is ready', 0);
    await send(360, 100, [x, z]);
    expect(refused, 'valid likes refused with Z').to.deep.equal([]);
    await answersEveryPost(x.base, truth, 'instance X with Z');
    await answersEveryPost(z.base, truth, 'instance Z');
  });
});

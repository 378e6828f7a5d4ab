/**
 * The console's data routes over HTTP, in one `kastor run social` process: admin only; the overview
 * names every stage with its offsets; the inspector reads a passivated actor from its snapshot
 * without waking it; a dead letter is listed with its reason and re-driven to its original topic,
 * where it carries `kastor.redriven-from`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { socialTopics } from '../../config/social.js';
import { DLQ_HEADERS } from '../../src/host/deadLetter.js';
import { type RunningProcess, startProcess } from '../../src/cli/runCommand.js';
import { Tokens } from '../support/auth.js';
import { jsonClient } from '../support/http.js';
import { waitFor, waitForValue } from '../support/waitFor.js';

const ADMIN = { sub: 'ops', role: 'admin' } as const;

describe('console routes', function () {
  this.timeout(30_000);
  let dir: string;
  let proc: RunningProcess;
  let tokens: Tokens;
  const call = jsonClient(() => `http://127.0.0.1:${proc.port}`, () => tokens);

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kastor-console-api-'));
    proc = await startProcess({ apps: ['social'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1', maxLiveActors: 1 });
    tokens = await Tokens.ofDataDir(dir);
  });
  after(async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const newPost = async (userId: string, text: string): Promise<string> => {
    const r = await call('POST', '/social/posts', { userId, text });
    expect(r.status).to.equal(202);
    return r.body.postId as string;
  };

  it('serves the page to anyone and the data to admins only', async () => {
    const page = await fetch(`http://127.0.0.1:${proc.port}/console`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<title>kastor console</title>');
    expect((await call('GET', '/console/api/overview', undefined, undefined, null)).status).to.equal(401);
    expect((await call('GET', '/console/api/overview', undefined, undefined, 'alice')).status).to.equal(403);
    expect((await call('POST', '/console/api/dead-letters/social/redrive', { partition: 0, offset: 0 }, undefined, 'alice')).status).to.equal(403);
    expect((await call('GET', '/console/assets/..%2fpackage.json')).status).to.equal(400);
  });

  it('shows every stage with its input partitions, offsets and counts', async () => {
    const postId = await newPost('alice', 'counted');
    await waitFor(async () => (await call('GET', `/console/api/entities/social/post/${postId}`, undefined, undefined, ADMIN)).status === 200);
    const overview = (await call('GET', '/console/api/overview', undefined, undefined, ADMIN)).body;
    expect(overview.healthy).to.equal(true);
    const post = overview.stages.find((s: { name: string }) => s.name === 'social.post');
    expect(post.status).to.equal('running');
    expect(post.topics).to.include('tracking.social.likes');
    expect(post.eventsIn).to.be.greaterThan(0);
    const committed = post.partitions.reduce((n: number, p: { committed: number }) => n + p.committed, 0);
    expect(committed).to.equal(post.eventsIn);
  });

  it('inspects a passivated actor from its snapshot without waking it', async () => {
    const first = await newPost('alice', 'first');
    expect((await call('POST', `/social/posts/${first}/likes`, { userId: 'bob' })).status).to.equal(202);
    const liked = async () => {
      const r = await call('GET', `/console/api/entities/social/post/${first}`, undefined, undefined, ADMIN);
      return r.status === 200 && r.body.context.likers.flat().includes('bob') ? r.body : undefined;
    };
    await waitForValue(liked);
    // One live actor at most: new posts passivate the first (a used actor gets a second chance).
    let second = '';
    const view = await waitForValue(async () => {
      second = await newPost('carol', 'another');
      const v = await liked();
      return v && !v.live ? v : undefined;
    });
    expect(view.value).to.be.a('string');
    expect(view.context.userId).to.equal('alice');
    expect(view.snapshotBytes).to.be.greaterThan(0);
    expect(view.offsets.map((o: { topic: string }) => o.topic)).to.include('tracking.social.likes');
    const again = (await call('GET', `/console/api/entities/social/post/${first}`, undefined, undefined, ADMIN)).body;
    expect(again.live, 'reading the snapshot does not make the actor live').to.equal(false);
    expect((await call('GET', `/console/api/entities/social/post/${second}x`, undefined, undefined, ADMIN)).status).to.equal(404);
    expect((await call('GET', '/console/api/entities/social/nosuch/k', undefined, undefined, ADMIN)).status).to.equal(404);
  });

  it('shows the last records that reached an actor and the events it emitted, newest first', async () => {
    const postId = await newPost('erin', 'trail');
    for (const userId of ['bob', 'carol']) expect((await call('POST', `/social/posts/${postId}/likes`, { userId })).status).to.equal(202);
    const trail = await waitForValue(async () => {
      const r = await call('GET', `/console/api/entities/social/post/${postId}/trail?limit=5`, undefined, undefined, ADMIN);
      expect(r.status).to.equal(200);
      return r.body.outputs.length >= 3 ? r.body : undefined;
    });
    const likes = trail.inputs.filter((r: { type: string }) => r.type === 'post.liked');
    expect(likes.map((r: { value: { userId: string } }) => r.value.userId)).to.deep.equal(['carol', 'bob']);
    expect(likes[0].topic).to.equal('tracking.social.likes');
    expect(trail.inputs.some((r: { type: string; topic: string }) => r.type === 'post.created' && r.topic.startsWith('internal.social.'))).to.equal(true);
    expect(trail.outputs.every((r: { topic: string }) => r.topic === socialTopics.postsWithCounts.name)).to.equal(true);
    expect(trail.outputs[0].value).to.include({ postId, likes: 2 });
    const other = (await call('GET', `/console/api/entities/social/post/post_nobody/trail`, undefined, undefined, ADMIN)).body;
    expect(other).to.deep.include({ inputs: [], outputs: [] });
    expect((await call('GET', `/console/api/entities/social/nosuch/k/trail`, undefined, undefined, ADMIN)).status).to.equal(404);
  });

  it('turns the demo traffic on and off from the console', async () => {
    expect((await call('GET', '/console/api/demo', undefined, undefined, ADMIN)).body).to.deep.equal({ on: false, available: true });
    const fans = async () => ((await call('GET', '/social/feed?limit=100')).body.items as Array<{ userId: string }>).filter((p) => p.userId.startsWith('fan_')).length;
    expect(await fans()).to.equal(0);
    expect((await call('POST', '/console/api/demo', { on: true }, undefined, ADMIN)).body).to.deep.equal({ on: true, available: true });
    await waitFor(async () => (await fans()) >= 2, { timeoutMs: 20_000, message: 'the demo\'s posts in the feed' });
    expect((await call('POST', '/console/api/demo', { on: false }, undefined, ADMIN)).body).to.deep.equal({ on: false, available: true });
    // Off: nothing more comes once the posts in flight are through.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const settled = await fans();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await fans()).to.equal(settled);
    expect((await call('POST', '/console/api/demo', { on: 'yes' }, undefined, ADMIN)).status).to.equal(400);
    expect((await call('POST', '/console/api/demo', { on: true }, undefined, 'alice')).status).to.equal(403);
  });

  it('finds stored keys by prefix for the inspector, in order, within the limit', async () => {
    const ids = [await newPost('dave', 'one'), await newPost('dave', 'two'), await newPost('dave', 'three')];
    const keys = async (query: string) => (await call('GET', `/console/api/entities/social/post${query}`, undefined, undefined, ADMIN)).body.keys as string[];
    // Each post is stored once its stage committed it.
    await waitFor(async () => (await Promise.all(ids.map(async (id) => (await keys(`?prefix=${id}`)).includes(id)))).every(Boolean));
    for (const id of ids) {
      const prefix = id.slice(0, 8);
      const found = await keys(`?prefix=${encodeURIComponent(prefix)}&limit=100`);
      expect(found).to.include(id);
      expect(found.every((k) => k.startsWith(prefix))).to.equal(true);
    }
    const all = await keys('?limit=100');
    expect(all).to.deep.equal([...all].sort());
    expect(all).to.include.members(ids);
    expect(await keys('?limit=2')).to.deep.equal(all.slice(0, 2));
    expect(await keys('?prefix=post_no_such_prefix_')).to.deep.equal([]);
    expect((await call('GET', '/console/api/entities/social/nosuch?prefix=a', undefined, undefined, ADMIN)).status).to.equal(404);
    expect((await call('GET', '/console/api/entities/social/post?limit=1000', undefined, undefined, ADMIN)).status).to.equal(400);
    expect((await call('GET', '/console/api/entities/social/post?prefix=a', undefined, undefined, 'alice')).status).to.equal(403);
  });

  it('lists a dead letter with its reason and re-drives it to its original topic', async () => {
    const producer = proc.broker.producer();
    await producer.send([{ topic: 'tracking.social.likes', key: 'post-dlq', value: 'not json', headers: { origin: 'spec' } }]);
    const listed = await waitForValue(async () => {
      const r = await call('GET', '/console/api/dead-letters/social', undefined, undefined, ADMIN);
      return r.body.records.length > 0 ? r.body : undefined;
    });
    expect(listed.topic).to.equal('queuing.social.dead_letters');
    const [dead] = listed.records;
    expect(dead.from.topic).to.equal('tracking.social.likes');
    expect(dead.reason).to.not.equal('');
    expect(dead.stage).to.equal('social.post');
    expect(dead.headers).to.deep.equal({ origin: 'spec' });

    const redriven = await call('POST', '/console/api/dead-letters/social/redrive', { partition: dead.partition, offset: dead.offset }, undefined, ADMIN);
    expect(redriven.status).to.equal(202);
    expect(redriven.body.topic).to.equal('tracking.social.likes');
    expect(redriven.body.from).to.equal(`queuing.social.dead_letters/${dead.partition}/${dead.offset}`);
    // Still not JSON: it fails again, and its second dead letter says where it was re-driven from.
    const second = await waitForValue(async () => {
      const r = await call('GET', '/console/api/dead-letters/social', undefined, undefined, ADMIN);
      return r.body.records.find((d: { headers: Record<string, string> }) => d.headers['kastor.redriven-from']);
    });
    expect(second.headers['kastor.redriven-from']).to.equal(redriven.body.from);
    expect(second.from.offset).to.equal(redriven.body.offset);
    await producer.close();

    expect((await call('POST', '/console/api/dead-letters/social/redrive', { partition: dead.partition, offset: 10_000 }, undefined, ADMIN)).status).to.equal(404);
    expect((await call('POST', '/console/api/dead-letters/social/redrive', { partition: -1, offset: 0 }, undefined, ADMIN)).status).to.equal(400);
    expect((await call('GET', '/console/api/dead-letters/nosuch', undefined, undefined, ADMIN)).status).to.equal(404);
  });

  it('re-drives every dead letter that failed for one reason, and says which could not go back', async () => {
    const producer = proc.broker.producer();
    await producer.send([
      { topic: 'tracking.social.comments', key: 'post-bulk', value: '{"broken"', headers: { origin: 'bulk' } },
      { topic: 'tracking.social.comments', key: 'post-bulk', value: '{"broken"', headers: { origin: 'bulk' } },
    ]);
    const mine = async () => ((await call('GET', '/console/api/dead-letters/social?limit=500', undefined, undefined, ADMIN)).body.records as Array<{
      reason: string; headers: Record<string, string>; from: { topic: string };
    }>).filter((d) => d.headers.origin === 'bulk');
    const first = await waitForValue(async () => ((await mine()).length === 2 ? await mine() : undefined));
    const { reason } = first[0];
    const same = (await call('GET', '/console/api/dead-letters/social?limit=500', undefined, undefined, ADMIN)).body.records
      .filter((d: { reason: string }) => d.reason === reason).length;
    const bulk = await call('POST', '/console/api/dead-letters/social/redrive-all', { reason }, undefined, ADMIN);
    expect(bulk.status).to.equal(202);
    expect(bulk.body.reason).to.equal(reason);
    expect(bulk.body.redriven).to.have.length(same);
    expect(bulk.body.refused).to.deep.equal([]);
    expect(bulk.body.redriven.every((r: { topic: string }) => r.topic === 'tracking.social.comments' || r.topic === 'tracking.social.likes')).to.equal(true);
    // Still broken: each fails again, and says where it was re-driven from.
    await waitFor(async () => (await mine()).filter((d) => d.headers['kastor.redriven-from']).length >= 2);
    // One that names no topic of the application is refused, and said so; the others still go.
    await producer.send([{
      topic: 'queuing.social.dead_letters', key: 'x', value: '{}',
      headers: { [DLQ_HEADERS.reason]: 'spec: foreign', [DLQ_HEADERS.topic]: 'tracking.bank.transactions', [DLQ_HEADERS.stage]: 'spec' },
    }]);
    const foreign = await call('POST', '/console/api/dead-letters/social/redrive-all', { reason: 'spec: foreign' }, undefined, ADMIN);
    expect(foreign.status).to.equal(202);
    expect(foreign.body.redriven).to.deep.equal([]);
    expect(foreign.body.refused).to.have.length(1);
    expect(foreign.body.refused[0].why).to.include('names no topic of social');
    await producer.close();
    expect((await call('POST', '/console/api/dead-letters/social/redrive-all', { reason: 'no such reason' }, undefined, ADMIN)).status).to.equal(404);
    expect((await call('POST', '/console/api/dead-letters/social/redrive-all', {}, undefined, ADMIN)).status).to.equal(400);
    expect((await call('POST', '/console/api/dead-letters/social/redrive-all', { reason }, undefined, 'alice')).status).to.equal(403);
  });
});

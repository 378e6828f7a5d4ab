import { expect } from 'chai';
import { Tokens } from '../../support/auth.js';
import { jsonClient } from '../../support/http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startProcess } from '../../../src/cli/runCommand.js';
import { waitFor, waitForValue } from '../../support/waitFor.js';

describe('MySocialMedia HTTP services', function () {
  this.timeout(30_000);
  let dir: string;
  let proc: RunningProcess;
  let base: string;

  let tokens: Tokens;
  const call = jsonClient(() => base, () => tokens);
  const post = async (userId: string, text: string, extra: Record<string, unknown> = {}) => {
    const r = await call('POST', '/social/posts', { userId, text, ...extra });
    expect(r.status).to.equal(202);
    const postId = r.body.postId as string;
    await waitForValue(async () => ((await call('GET', `/social/posts/${postId}`)).status === 200 ? true : undefined));
    return postId;
  };
  const counts = async (postId: string) => (await call('GET', `/social/posts/${postId}`)).body;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-http-'));
    proc = await startProcess({ apps: ['social'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${proc.port}`;
    tokens = await Tokens.ofDataDir(dir);
  });
  after(async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a post (202 with its id) and shows it with zero counts', async () => {
    const postId = await post('alice', 'hello world', { hashtags: ['kafka'], links: ['https://kafka.apache.org'] });
    expect(await counts(postId)).to.deep.equal({ postId, userId: 'alice', text: 'hello world', likes: 0, comments: 0, deleted: false });
  });

  it('counts likes once per user, unlikes, and comments', async () => {
    const postId = await post('alice', 'like me');
    for (const userId of ['bob', 'carol', 'carol']) expect((await call('POST', `/social/posts/${postId}/likes`, { userId })).status).to.equal(202);
    expect((await call('POST', `/social/posts/${postId}/comments`, { userId: 'bob', text: 'nice' })).status).to.equal(202);
    await waitFor(async () => { const c = await counts(postId); return c.likes === 2 && c.comments === 1; });
    expect((await call('DELETE', `/social/posts/${postId}/likes/bob`)).status).to.equal(202);
    await waitFor(async () => (await counts(postId)).likes === 1);
  });

  it('lets only the author delete a post: 403 for anyone else', async () => {
    const postId = await post('alice', 'mine');
    // The author is the token's subject: naming the author in the body does not make mallory one.
    const r = await call('DELETE', `/social/posts/${postId}`, undefined, undefined, 'mallory');
    expect(r.status).to.equal(403);
    expect(r.body.error).to.include('only the author');
    expect((await call('DELETE', `/social/posts/${postId}`, { userId: 'alice' }, undefined, 'mallory')).status).to.equal(403);
    expect((await call('DELETE', `/social/posts/${postId}`, undefined, undefined, 'alice')).status).to.equal(202);
    await waitFor(async () => (await counts(postId)).deleted === true);
    expect((await call('POST', `/social/posts/${postId}/likes`, { userId: 'bob' })).status).to.equal(404);
  });

  it('serves the feed, newest first, and trending', async () => {
    const a = await post('u1', 'first');
    const b = await post('u2', 'second');
    await call('POST', `/social/posts/${b}/likes`, { userId: 'x' });
    const feed = (await call('GET', '/social/feed?limit=2')).body.items.map((i: { postId: string }) => i.postId);
    expect(feed).to.have.length(2);
    expect(feed).to.include(b);
    void a;
    await waitFor(async () => (await call('GET', '/social/trending')).body.items.some((i: { postId: string }) => i.postId === b));
    const t = (await call('GET', '/social/trending?limit=5')).body;
    expect(t.windowEnd).to.be.a('string');
  });

  describe('bad input gets a 400 or 404 with a reason, and nothing is produced', () => {
    it('404 for a like on a post that does not exist', async () => {
      const r = await call('POST', '/social/posts/post_nope/likes', { userId: 'bob' });
      expect(r.status).to.equal(404);
      expect(r.body.error).to.include('does not exist');
    });
    it('400 for a body that is not JSON', async () => {
      const r = await call('POST', '/social/posts', undefined, '{not json');
      expect(r.status).to.equal(400);
      expect(r.body.error).to.match(/not JSON/);
    });
    it('takes a missing userId from the token, and refuses (403) one naming someone else', async () => {
      const postId = await post('alice', 'p');
      expect((await call('POST', `/social/posts/${postId}/likes`, {}, undefined, 'bob')).body).to.deep.equal({ postId, userId: 'bob' });
      expect((await call('POST', `/social/posts/${postId}/likes`, undefined, undefined, 'carol')).body).to.deep.equal({ postId, userId: 'carol' });
      const r = await call('POST', `/social/posts/${postId}/likes`, { userId: 'dave' }, undefined, 'bob');
      expect(r.status).to.equal(403);
      expect(r.body.error).to.equal('bob may not act as dave');
      await waitFor(async () => (await counts(postId)).likes === 2);
    });
    it('400 for a 1 MB text', async () => {
      const r = await call('POST', '/social/posts', { userId: 'alice', text: 'x'.repeat(1024 * 1024) });
      expect(r.status).to.equal(400);
      expect(r.body.error).to.include('text');
    });
    it('413 for a body over the 2 MB limit', async () => {
      const r = await call('POST', '/social/posts', { userId: 'alice', text: 'x'.repeat(3 * 1024 * 1024) });
      expect(r.status).to.equal(413);
    });
    it('400 for wrong types, bad ids, bad links and limits', async () => {
      expect((await call('POST', '/social/posts', { userId: 42, text: 'x' })).status).to.equal(400);
      expect((await call('POST', '/social/posts', { userId: 'a b', text: 'x' })).status).to.equal(400);
      expect((await call('POST', '/social/posts', { userId: 'a', text: '' })).status).to.equal(400);
      expect((await call('POST', '/social/posts', { userId: 'a', text: 'x', links: ['not a url'] })).status).to.equal(400);
      expect((await call('POST', '/social/posts', undefined)).status).to.equal(400);
      expect((await call('GET', '/social/feed?limit=0')).status).to.equal(400);
      expect((await call('GET', '/social/feed?limit=abc')).status).to.equal(400);
      expect((await call('GET', '/social/posts/bad%20id')).status).to.equal(400);
    });
    it('400 for a comment without text; 404 for unknown routes; 405 for a wrong method', async () => {
      const postId = await post('alice', 'p');
      expect((await call('POST', `/social/posts/${postId}/comments`, { userId: 'bob' })).status).to.equal(400);
      expect((await call('GET', '/social/nothing')).status).to.equal(404);
      expect((await call('PUT', '/social/posts')).status).to.equal(405);
    });
    it('keeps serving after all of that', async () => {
      expect((await call('GET', '/healthz')).status).to.equal(200);
      await post('alice', 'still here');
    });
  });
});

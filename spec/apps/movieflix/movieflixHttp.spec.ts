import { expect } from 'chai';
import { Tokens } from '../../support/auth.js';
import { type Caller, jsonClient } from '../../support/http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SqliteDatabase, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { movieflixTopics } from '../../../config/movieflix.js';
import { type RunningProcess, startProcess } from '../../../src/cli/runCommand.js';
import { waitFor, waitForValue } from '../../support/waitFor.js';

describe('MovieFlix HTTP services', function () {
  this.timeout(30_000);
  let dir: string;
  let proc: RunningProcess;
  let base: string;
  let db: SqliteDatabase;

  let tokens: Tokens;
  const call = jsonClient(() => base, () => tokens);
  /** The video position service reports for any user. */
  const service = { sub: 'player-gateway', role: 'service' } as const;
  const report = (fields: Record<string, unknown>, as: Caller = service) =>
    call('POST', '/movieflix/positions', { userId: 'alice', showId: 'paper-kings', episodeId: 's01e01', positionSec: 60, durationSec: 1500, ...fields }, undefined, as);
  const resumeOf = async (userId: string, showId: string, positionSec: number) =>
    waitForValue(async () => {
      const r = await call('GET', `/movieflix/users/${userId}/resume/${showId}`);
      return r.status === 200 && r.body.positionSec === positionSec ? r.body : undefined;
    }, { message: `${userId}'s resume point in ${showId} at ${positionSec}` });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-movieflix-http-'));
    proc = await startProcess({ apps: ['movieflix'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${proc.port}`;
    tokens = await Tokens.ofDataDir(dir);
    db = openDatabase(join(dir, 'state.db'));
  });
  after(async () => {
    db.close();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a position (202) and serves it as the resume point', async () => {
    const r = await report({ userId: 'alice', episodeId: 's01e02', positionSec: 432.5 });
    expect(r.status).to.equal(202);
    expect(r.body.id).to.be.a('string');
    const point = await resumeOf('alice', 'paper-kings', 432.5);
    expect(point).to.deep.equal({ showId: 'paper-kings', episodeId: 's01e02', positionSec: 432.5, at: r.body.at });
  });

  it('takes a user\'s own reports (userId from its token) and refuses one for another user', async () => {
    const own = await report({ userId: undefined, showId: 'iron-district', positionSec: 12 }, 'dora');
    expect(own.status).to.equal(202);
    expect(await resumeOf('dora', 'iron-district', 12)).to.include({ positionSec: 12 });
    expect(await report({ userId: 'alice' }, 'dora')).to.deep.equal({ status: 403, body: { error: 'dora may not act as alice' } });
    expect((await call('GET', '/movieflix/users/alice/profile', undefined, undefined, 'dora')).status).to.equal(403);
    expect((await report({ userId: 'alice' }, { sub: 'taxi_1', role: 'taxi' })).status).to.equal(403);
  });

  it('takes an explicit event time in the past, normalised to UTC', async () => {
    const r = await report({ userId: 'bob', at: '2026-01-01T12:00:00+01:00' });
    expect(r.status).to.equal(202);
    expect(r.body.at).to.equal('2026-01-01T11:00:00.000Z');
    expect((await resumeOf('bob', 'paper-kings', 60)).at).to.equal('2026-01-01T11:00:00.000Z');
  });

  it('404 for a show the user never watched', async () => {
    const r = await call('GET', '/movieflix/users/alice/resume/iron-district');
    expect(r.status).to.equal(404);
    expect(r.body.error).to.include('no position');
  });

  it('serves the profile: what was watched and how far, liked when a season is finished', async () => {
    expect((await report({ userId: 'carol', showId: 'red-meridian', episodeId: 's01e01', positionSec: 7150, durationSec: 7200 })).status).to.equal(202);
    expect((await report({ userId: 'carol', showId: 'iron-district', episodeId: 's01e03', positionSec: 300, durationSec: 3300 })).status).to.equal(202);
    const profile = await waitForValue(async () => {
      const r = await call('GET', '/movieflix/users/carol/profile');
      return r.body.shows.length === 2 ? r.body : undefined;
    });
    expect(profile.liked).to.deep.equal(['red-meridian']);
    expect(profile.watching).to.deep.equal(['iron-district']);
    const iron = profile.shows.find((s: { showId: string }) => s.showId === 'iron-district');
    expect(iron).to.include({ title: 'Iron District', status: 'watching', episodesCompleted: 0, episodesTotal: 28, furthestEpisodeId: 's01e03' });
    expect(iron.resume).to.include({ episodeId: 's01e03', positionSec: 300 });
  });

  it('serves recommendations that follow from the profile', async () => {
    const items = await waitForValue(async () => {
      const r = await call('GET', '/movieflix/users/carol/recommendations');
      return r.body.items.some((i: { reason: string }) => i.reason === 'because you liked Red Meridian') ? r.body.items : undefined;
    });
    for (const item of items) {
      expect(item).to.have.all.keys('showId', 'score', 'reason');
      expect(item.showId).to.not.be.oneOf(['red-meridian', 'iron-district']);
    }
  });

  it('serves an empty profile and the popular shows (none yet) to a user with no history', async () => {
    expect((await call('GET', '/movieflix/users/nobody/profile')).body).to.deep.include({ userId: 'nobody', shows: [] });
    expect((await call('GET', '/movieflix/users/nobody/recommendations')).body).to.deep.equal({ items: [] });
  });

  describe('bad input gets a 400 with a reason, and nothing is produced', () => {
    const expect400 = async (fields: Record<string, unknown> | undefined, reason: string | RegExp, raw?: string) => {
      const r = raw !== undefined || fields === undefined
        ? await call('POST', '/movieflix/positions', undefined, raw, service)
        : await report({ userId: 'mallory', ...fields });
      expect(r.status, JSON.stringify(fields)).to.equal(400);
      if (typeof reason === 'string') expect(r.body.error).to.include(reason);
      else expect(r.body.error).to.match(reason);
    };

    it('rejects missing and malformed ids', async () => {
      await expect400({ userId: undefined }, 'userId');
      await expect400({ userId: 'a b' }, 'userId: must be 1–64 letters');
      await expect400({ userId: 'x'.repeat(65) }, 'userId');
      await expect400({ showId: '' }, 'showId');
      await expect400({ episodeId: 'episode-1' }, 'episodeId: must look like s01e03');
    });

    it('rejects a show or an episode that is not in the catalog', async () => {
      await expect400({ showId: 'no-such-show' }, 'no show no-such-show in the catalog');
      await expect400({ episodeId: 's03e01' }, 'show paper-kings has no episode s03e01');
      await expect400({ episodeId: 's01e13' }, 'has no episode s01e13');
    });

    it('rejects positions outside 0..durationSec and wrong types', async () => {
      await expect400({ positionSec: -1 }, 'positionSec: must be 0 or more');
      await expect400({ positionSec: 1501 }, 'positionSec: must not exceed durationSec');
      await expect400({ durationSec: 0 }, 'durationSec: must be more than 0');
      await expect400({ durationSec: 1e9, positionSec: 1 }, 'durationSec: must be at most');
      await expect400({ positionSec: '60' }, /positionSec: .*expected number/);
      await expect400({ durationSec: null }, /durationSec: .*expected number/);
      await expect400({ positionSec: undefined }, 'positionSec');
      await expect400({ userId: 42 }, /userId: .*expected string/);
    });

    it('rejects an event time that is not ISO-8601 with a zone, or in the future', async () => {
      await expect400({ at: 'yesterday' }, 'at: must be an ISO-8601 date-time');
      await expect400({ at: '2026-01-01T12:00:00' }, 'at: must be an ISO-8601 date-time');
      await expect400({ at: 1_700_000_000_000 }, 'at:');
      await expect400({ at: new Date(Date.now() + 3_600_000).toISOString() }, 'is in the future');
    });

    it('rejects a body that is missing, not JSON or not an object', async () => {
      await expect400(undefined, 'a JSON body is required');
      await expect400(undefined, 'not JSON', '{"userId": ');
      await expect400(undefined, 'invalid body', '[1, 2]');
      await expect400(undefined, 'invalid body', 'null');
    });

    it('rejects malformed ids in the query paths', async () => {
      expect((await call('GET', '/movieflix/users/bad%20id/resume/paper-kings')).status).to.equal(400);
      expect((await call('GET', '/movieflix/users/alice/resume/bad%20show')).status).to.equal(400);
      expect((await call('GET', '/movieflix/users/bad%20id/recommendations')).status).to.equal(400);
      expect((await call('GET', '/movieflix/users/bad%20id/profile')).status).to.equal(400);
      expect((await call('PUT', '/movieflix/positions')).status).to.equal(405);
    });

    it('produced none of it: the analytics store holds only the good report of that user', async () => {
      // Every report of one user goes to one partition, in order: any bad one produced before
      // this good one would be in the analytics store by the time the good one is.
      expect((await report({ userId: 'mallory', positionSec: 77 })).status).to.equal(202);
      const count = () => (db.prepare('SELECT count(*) AS n FROM analytics_records WHERE topic = ? AND key = ?')
        .get(movieflixTopics.showPosition.name, 'mallory') as { n: number }).n;
      await waitFor(() => count() > 0, { message: "mallory's report in the analytics store" });
      expect(count()).to.equal(1);
      expect((await call('GET', '/healthz')).status).to.equal(200);
    });
  });
});

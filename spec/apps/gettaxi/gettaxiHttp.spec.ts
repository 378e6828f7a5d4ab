import { expect } from 'chai';
import { Tokens } from '../../support/auth.js';
import { jsonClient } from '../../support/http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SqliteDatabase, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { type RunningProcess, startProcess } from '../../../src/cli/runCommand.js';
import { waitFor } from '../../support/waitFor.js';

describe('GetTaxi HTTP services (kastor run gettaxi, memory transport)', function () {
  this.timeout(30_000);
  let dir: string;
  let proc: RunningProcess;
  let base: string;
  let db: SqliteDatabase;

  let tokens: Tokens;
  const call = jsonClient(() => base, () => tokens);
  /** Who asked for each ride: the ride is read as its rider. */
  const riders = new Map<string, string>();
  const accepted = async (path: string, body: unknown) => {
    const r = await call('POST', path, body);
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    if (path === '/gettaxi/rides') riders.set(r.body.rideId, (body as { userId: string }).userId);
    return r.body;
  };
  const ride = (rideId: string) => call('GET', `/gettaxi/rides/${rideId}`, undefined, undefined, riders.get(rideId));
  const rideWhen = async (rideId: string, status: string) => {
    let last: unknown;
    await waitFor(async () => { const r = await ride(rideId); last = r.body; return r.body?.status === status; },
      { message: () => `ride ${rideId} to be ${status}, last ${JSON.stringify(last)}` });
    return (await ride(rideId)).body;
  };
  const positionsOf = (topicSuffix: string) =>
    db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM analytics_records WHERE topic = ?').get(`tracking.gettaxi.${topicSuffix}`)!.n;
  const minutesAgo = (m: number, from = Date.now()) => new Date(Math.floor(from / 60_000) * 60_000 - m * 60_000).toISOString();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kastor-gettaxi-http-'));
    proc = await startProcess({ apps: ['gettaxi'], transport: 'memory', dataDir: dir, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${proc.port}`;
    tokens = await Tokens.ofDataDir(dir);
    db = openDatabase(join(dir, 'state.db'));
  });
  after(async () => {
    db.close();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes positions (202 with the cell) and keeps them all in the analytics store', async () => {
    expect(await accepted('/gettaxi/users/alice/position', { lat: 48.8534, lon: 2.3488 })).to.deep.equal({ userId: 'alice', region: 'r_4885_234' });
    expect(await accepted('/gettaxi/taxis/taxi_1/position', { lat: 48.8534, lon: 2.3488, available: true, at: minutesAgo(1) }))
      .to.deep.equal({ taxiId: 'taxi_1', region: 'r_4885_234' });
    await waitFor(() => positionsOf('user_position') === 1 && positionsOf('taxi_position') === 1);
  });

  it('goes positions → request → matched → pickup → trace → dropoff, and charges the hand-computed fare', async () => {
    // Away from the other tests' cells, so that the surge is 1.
    await accepted('/gettaxi/taxis/taxi_main/position', { lat: 45.7600, lon: 4.8300, available: true });
    await accepted('/gettaxi/users/bob/position', { lat: 45.7605, lon: 4.8302 });
    const { rideId } = await accepted('/gettaxi/rides', { userId: 'bob', lat: 45.7605, lon: 4.8302 });
    expect(rideId).to.match(/^ride_/);
    const matched = await rideWhen(rideId, 'matched');
    expect(matched).to.deep.equal({ rideId, status: 'matched', taxiId: 'taxi_main', surge: 1 });

    // Pickup at T, 45.76 → 45.77 at T+4 → 45.78 at T+8, dropoff at 45.79 at T+10 (lon 4.83 throughout):
    //   three legs of 0.01° along a meridian: 3 × 6371 × 0.01 × π/180 = 3.335847799 km
    //   (2.50 + 1.20 × 3.335847799 + 0.30 × 10 min) × surge 1       = 9.503017359 → 9.50
    const T = Date.now() - 30 * 60_000;
    const at = (m: number) => new Date(T + m * 60_000).toISOString();
    await accepted(`/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_main', lat: 45.76, lon: 4.83, at: at(0) });
    await rideWhen(rideId, 'picked_up');
    await accepted('/gettaxi/taxis/taxi_main/position', { lat: 45.77, lon: 4.83, at: at(4) });
    await accepted('/gettaxi/taxis/taxi_main/position', { lat: 45.78, lon: 4.83, at: at(8) });
    await accepted(`/gettaxi/rides/${rideId}/dropoff`, { taxiId: 'taxi_main', lat: 45.79, lon: 4.83, at: at(10) });
    const done = await rideWhen(rideId, 'completed');
    expect(done).to.deep.equal({ rideId, status: 'completed', taxiId: 'taxi_main', surge: 1, cost: 9.5, distanceKm: 3.336, durationMin: 10 });
    // Every position of the ride is in the analytics store, pickup and dropoff included.
    const ofTaxi = () => db.prepare<[], { type: string }>(
      `SELECT type FROM analytics_records WHERE topic = 'tracking.gettaxi.taxi_position' AND key = 'taxi_main' ORDER BY offset`).all();
    await waitFor(() => ofTaxi().length === 5, { message: () => `5 positions of taxi_main, got ${JSON.stringify(ofTaxi())}` });
    expect(ofTaxi().map((r) => r.type).slice(1)).to.deep.equal([
      'taxi.passenger_picked_up', 'taxi.position_reported', 'taxi.position_reported', 'taxi.passenger_dropped_off',
    ]);
  });

  it('estimates a reference ride (5 km, 15 min) with the surge of the cell', async () => {
    const calm = await call('GET', '/gettaxi/estimate?lat=43.2965&lon=5.3698');
    // (2.50 + 1.20 × 5 + 0.30 × 15) × 1 = 13.00
    expect(calm).to.deep.equal({ status: 200, body: { region: 'r_4329_536', surge: 1, estimate: 13 } });
    // One taxi and three riders in the cell: 1 + 0.5 × (3 − 1) = 2.
    await accepted('/gettaxi/taxis/taxi_m/position', { lat: 43.2965, lon: 5.3698 });
    for (const u of ['m1', 'm2', 'm3']) await accepted(`/gettaxi/users/${u}/position`, { lat: 43.2966, lon: 5.3699 });
    await waitFor(async () => (await call('GET', '/gettaxi/estimate?lat=43.2965&lon=5.3698')).body.surge === 2);
    expect((await call('GET', '/gettaxi/estimate?lat=43.2965&lon=5.3698')).body).to.deep.equal({ region: 'r_4329_536', surge: 2, estimate: 26 });
    // A ride asked for there is quoted that surge.
    const { rideId } = await accepted('/gettaxi/rides', { userId: 'm1', lat: 43.2966, lon: 5.3699 });
    expect((await rideWhen(rideId, 'matched')).surge).to.equal(2);
  });

  describe('bad input gets a 400 (or 404, 409) with a reason, and nothing is produced', () => {
    it('400 for coordinates out of range, of the wrong type, missing, or null', async () => {
      const users = positionsOf('user_position');
      const bad = [
        [{ lat: 91, lon: 2 }, 'lat'], [{ lat: -90.5, lon: 2 }, 'lat'], [{ lat: 48, lon: 180.01 }, 'lon'], [{ lat: 48, lon: -181 }, 'lon'],
        [{ lat: '48.85', lon: 2 }, 'lat'], [{ lat: 48 }, 'lon'], [{ lat: null, lon: 2 }, 'lat'], [{ lat: 48, lon: [2] }, 'lon'],
      ] as const;
      for (const [body, field] of bad) {
        const r = await call('POST', '/gettaxi/users/alice/position', body);
        expect(r.status, JSON.stringify(body)).to.equal(400);
        expect(r.body.error, JSON.stringify(body)).to.include(field);
      }
      expect((await call('POST', '/gettaxi/users/alice/position', undefined, '{"lat": 1e999, "lon": 2}')).status).to.equal(400);
      expect((await call('POST', '/gettaxi/users/alice/position', undefined, '{"lat": NaN, "lon": 2}')).body.error).to.match(/not JSON/);
      expect((await call('POST', '/gettaxi/taxis/taxi_1/position', { lat: 48, lon: 2, available: 'yes' })).body.error).to.include('available');
      expect((await call('POST', '/gettaxi/taxis/taxi_1/position', undefined)).body.error).to.include('JSON body is required');
      expect(positionsOf('user_position')).to.equal(users);
    });

    it('400 for a time in the future by the server\'s clock, or not a time', async () => {
      const taxis = positionsOf('taxi_position');
      const future = new Date(Date.now() + 60_000).toISOString();
      const r = await call('POST', '/gettaxi/taxis/taxi_1/position', { lat: 48, lon: 2, at: future });
      expect(r.status).to.equal(400);
      expect(r.body.error).to.include('in the future');
      expect((await call('POST', '/gettaxi/users/alice/position', { lat: 48, lon: 2, at: 'yesterday' })).body.error).to.include('at');
      expect((await call('POST', '/gettaxi/users/alice/position', { lat: 48, lon: 2, at: 1700000000 })).status).to.equal(400);
      expect(positionsOf('taxi_position')).to.equal(taxis);
    });

    it('400 for bad ids and ride requests', async () => {
      expect((await call('POST', '/gettaxi/users/a%20b/position', { lat: 48, lon: 2 })).body.error).to.include('userId');
      expect((await call('POST', '/gettaxi/taxis/x'.padEnd(90, 'x') + '/position', { lat: 48, lon: 2 })).status).to.equal(400);
      expect((await call('POST', '/gettaxi/rides', { userId: 'alice', lat: 100, lon: 2 })).body.error).to.include('lat');
      expect((await call('POST', '/gettaxi/rides', { userId: 'bob', lat: 48, lon: 2 }, undefined, 'alice')).body.error).to.equal('alice may not act as bob');
      expect((await call('POST', '/gettaxi/rides', { userId: 7, lat: 48, lon: 2 })).status).to.equal(400);
      expect((await call('GET', '/gettaxi/rides/bad%20id')).status).to.equal(400);
    });

    it('404 for an unknown ride on GET; 400 for a pickup or dropoff of one', async () => {
      const r = await call('GET', '/gettaxi/rides/ride_nope');
      expect(r).to.deep.equal({ status: 404, body: { error: 'ride ride_nope does not exist' } });
      const p = await call('POST', '/gettaxi/rides/ride_nope/pickup', { taxiId: 'taxi_1' });
      expect(p).to.deep.equal({ status: 400, body: { error: 'ride ride_nope does not exist' } });
      expect((await call('POST', '/gettaxi/rides/ride_nope/dropoff', { taxiId: 'taxi_1' })).status).to.equal(400);
    });

    it('409 for a report the ride\'s state or taxi does not allow; 400 for a malformed report; 403 for another taxi\'s', async () => {
      await accepted('/gettaxi/taxis/taxi_z/position', { lat: 40.4168, lon: -3.7038, available: true });
      const { rideId } = await accepted('/gettaxi/rides', { userId: 'zoe', lat: 40.4169, lon: -3.7039 });
      await rideWhen(rideId, 'matched');
      const early = await call('POST', `/gettaxi/rides/${rideId}/dropoff`, { taxiId: 'taxi_z' });
      expect(early.status).to.equal(409);
      expect(early.body.error).to.equal(`ride ${rideId} is matched; the dropoff needs it picked_up`);
      const wrong = await call('POST', `/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_1' });
      expect(wrong).to.deep.equal({ status: 409, body: { error: `ride ${rideId} is assigned to taxi taxi_z, not taxi_1` } });
      expect((await call('POST', `/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_z', lat: 40 })).body.error).to.include('lat and lon go together');
      expect((await call('POST', `/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_z' }, undefined, { sub: 'taxi_1', role: 'taxi' })))
        .to.deep.equal({ status: 403, body: { error: 'taxi_1 may not act as taxi_z' } });
      expect((await call('GET', `/gettaxi/rides/${rideId}`, undefined, undefined, { sub: 'taxi_1', role: 'taxi' })).status).to.equal(403);
      expect((await call('GET', `/gettaxi/rides/${rideId}`, undefined, undefined, { sub: 'taxi_z', role: 'taxi' })).status).to.equal(200);
      expect((await call('POST', `/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_z', at: new Date(Date.now() + 60_000).toISOString() })).status).to.equal(400);
      await accepted(`/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_z' });
      await rideWhen(rideId, 'picked_up');
      const again = await call('POST', `/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_z' });
      expect(again.status).to.equal(409);
      expect(again.body.error).to.equal(`ride ${rideId} is picked_up; the pickup needs it matched`);
    });

    it('400 for an estimate without coordinates, or with ones that are not plain numbers in range', async () => {
      for (const q of ['', '?lat=48.85', '?lon=2.35', '?lat=&lon=2', '?lat=abc&lon=2', '?lat=91&lon=2', '?lat=48&lon=-180.5', '?lat=1e3&lon=2', '?lat=Infinity&lon=2', '?lat=0x10&lon=2']) {
        const r = await call('GET', `/gettaxi/estimate${q}`);
        expect(r.status, q).to.equal(400);
        expect(r.body.error, q).to.match(/lat|lon/);
      }
      expect((await call('GET', '/gettaxi/estimate?lat=-33.8568&lon=151.2153')).body).to.deep.equal({ region: 'r_-3386_15121', surge: 1, estimate: 13 });
    });

    it('keeps serving after all of that', async () => {
      expect((await call('GET', '/healthz')).status).to.equal(200);
      expect((await call('PUT', '/gettaxi/rides')).status).to.equal(405);
    });
  });
});

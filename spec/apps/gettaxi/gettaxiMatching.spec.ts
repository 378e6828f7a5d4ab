/**
 * Matching under races, end to end on the memory transport through HTTP: many requests at once
 * over few taxis, from riders in four cells that all reach every taxi, so that the matchers of
 * different cells compete for the same taxis. The three invariants are checked on what actually
 * went through the topics, not only on the final read model.
 */
import { expect } from 'chai';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { cellOf, cellsWithin } from '../../../actors/gettaxi/geo.js';
import { gettaxiSettings } from '../../../config/gettaxi.js';
import { waitFor } from '../../support/waitFor.js';
import { GettaxiProcess } from './gettaxiFixture.js';

/** A grid corner: the four cells around it are r_4885_234, r_4885_235, r_4886_234, r_4886_235. */
const CORNER = { lat: 48.86, lon: 2.35 };
const near = (i: number, spread = 0.002) => ({
  lat: CORNER.lat + spread * Math.cos(i * 2.4) * (i % 2 ? 1 : -1),
  lon: CORNER.lon + spread * Math.sin(i * 1.7) * (i % 3 ? 1 : -1),
});
const OPEN = ['requested', 'matched', 'picked_up'];

function countBy<T>(items: readonly T[], key: (t: T) => string, value: (t: T) => string): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const t of items) {
    const k = key(t);
    if (!m.has(k)) m.set(k, new Set());
    m.get(k)!.add(value(t));
  }
  return m;
}

describe('GetTaxi matching under races (memory transport, HTTP)', function () {
  this.timeout(60_000);
  let broker: MemoryBroker;
  let app: GettaxiProcess;
  const taxis = ['taxi_a', 'taxi_b', 'taxi_c'];
  const users = Array.from({ length: 12 }, (_, i) => `user_${i}`);
  const rides = new Map<string, string>(); // rideId → userId

  before(async () => {
    broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    app = await GettaxiProcess.start(broker);
  });
  after(async () => {
    await app.stop();
    await broker.close();
  });

  it('gives a rider asking five times at once one ride, and refuses the four others', async () => {
    for (const [i, taxiId] of taxis.entries()) await app.post(`/gettaxi/taxis/${taxiId}/position`, { ...near(i + 20, 0.003), available: true });
    const cells = [...new Set(users.map((_, i) => cellOf(near(i), gettaxiSettings.cellDeg)))];
    expect(cells).to.have.length(4);
    for (const t of taxis.map((_, i) => near(i + 20, 0.003))) {
      expect(cellsWithin(t, gettaxiSettings.matchRadiusKm, gettaxiSettings.cellDeg)).to.include.members(cells);
    }
    // Every matcher of the four cells knows the three taxis before the first request.
    await waitFor(() => cells.every((c) => Object.keys(app.snapshot('matcher', c)?.context.taxis ?? {}).length === 3),
      { message: 'the matchers to know every taxi' });

    const ids = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await app.post('/gettaxi/rides', { userId: 'eager', ...near(i) })).rideId as string));
    const final = await Promise.all(ids.map((id) => app.rideWhen(id, (r) => r.status === 'matched' || r.status === 'cancelled')));
    expect(final.filter((r) => r.status === 'matched')).to.have.length(1);
    for (const r of final.filter((x) => x.status === 'cancelled')) expect(r.reason).to.match(/^user eager already has an open ride, ride_/);
    const updates = await app.events(app.topics.rideUpdates.name);
    expect(updates.filter((e) => e.type === 'ride.opened' && e.userId === 'eager')).to.have.length(1);
    expect(updates.filter((e) => e.type === 'ride.refused' && e.userId === 'eager')).to.have.length(4);
  });

  it('races 20 requests of 12 riders over the 2 taxis left: one taxi per ride, one ride per taxi, one open ride per rider', async () => {
    // 12 riders at once, and the first four asking twice more at the same time.
    const asks = [...users.map((u, i) => [u, i] as const), ...users.slice(0, 4).flatMap((u, i) => [[u, i], [u, i]] as const)];
    const accepted = await Promise.all(asks.map(async ([userId, i]) => {
      const { rideId } = await app.post('/gettaxi/rides', { userId, ...near(i) });
      return [rideId as string, userId] as const;
    }));
    for (const [rideId, userId] of accepted) rides.set(rideId, userId);
    expect(rides.size).to.equal(20);

    const final = await Promise.all([...rides.keys()].map((rideId) =>
      app.rideWhen(rideId, (r) => r.status === 'matched' || r.status === 'cancelled')));

    // The read model: as many matched rides as free taxis, each on its own taxi.
    const matched = final.filter((r) => r.status === 'matched');
    expect(matched).to.have.length(2);
    expect(new Set(matched.map((r) => r.taxiId))).to.have.property('size', 2);
    for (const r of final.filter((x) => x.status === 'cancelled')) {
      expect(r.reason).to.match(/already has an open ride|no available taxi within 1 km/);
    }
    const openPerUser = countBy(final.filter((r) => OPEN.includes(r.status)), (r) => rides.get(r.rideId)!, (r) => r.rideId);
    for (const [userId, open] of openPerUser) expect(open.size, userId).to.equal(1);

    // The history: what went through the topics.
    const updates = await app.events(app.topics.rideUpdates.name);
    const taxisPerRide = countBy(updates.filter((e) => e.type === 'ride.matched'), (e) => e.rideId, (e) => e.taxiId);
    for (const [rideId, t] of taxisPerRide) expect(t.size, `taxis of ${rideId}`).to.equal(1);
    const dispatch = await app.events(app.topics.dispatch.name);
    const ridesPerTaxi = countBy(dispatch.filter((e) => e.type === 'taxi.assignment_accepted'), (e) => e.taxiId, (e) => e.rideId);
    expect([...ridesPerTaxi.keys()].sort()).to.deep.equal(taxis);
    for (const [taxiId, r] of ridesPerTaxi) expect(r.size, `rides of ${taxiId}`).to.equal(1);
    // A rider may have had several rides opened — a new one once the last was cancelled — but
    // every one of them but the last has ended.
    const opened = countBy(updates.filter((e) => e.type === 'ride.opened' && e.userId !== 'eager'), (e) => e.userId, (e) => e.rideId);
    expect(opened.size).to.equal(12);
    const byId = new Map(final.map((r) => [r.rideId, r]));
    for (const [userId, ids] of opened) {
      expect([...ids].filter((id) => OPEN.includes(byId.get(id)!.status)).length, userId).to.be.at.most(1);
    }
    // The protocol itself never needed the ride's safety net.
    const assignments = await app.events(app.topics.assignments.name);
    expect(assignments.filter((e) => e.type === 'taxi.assignment_revoked')).to.deep.equal([]);
    // Proposals did race: the two free taxis were asked for more rides than they took.
    const proposals = assignments.filter((e) => e.type === 'taxi.assignment_proposed');
    expect(proposals.length).to.be.greaterThan(3);
    expect(dispatch.filter((e) => e.type === 'taxi.assignment_rejected').length).to.be.greaterThan(0);
    // Each taxi is bound to the ride the read model shows it on.
    for (const r of matched) expect(app.snapshot('taxi', r.taxiId).context.rideId).to.equal(r.rideId);
  });

  it('frees a taxi at dropoff for the next ride, and its rider can ride again', async () => {
    const matched = await Promise.all([...rides.keys()].map((id) => app.rideWhen(id, () => true)));
    const ride = matched.find((r) => r.status === 'matched')!;
    const userId = rides.get(ride.rideId)!;
    await app.post(`/gettaxi/rides/${ride.rideId}/pickup`, { taxiId: ride.taxiId });
    await app.rideWhen(ride.rideId, (r) => r.status === 'picked_up');
    await app.post(`/gettaxi/taxis/${ride.taxiId}/position`, near(3));
    await app.post(`/gettaxi/rides/${ride.rideId}/dropoff`, { taxiId: ride.taxiId, ...near(5) });
    const done = await app.rideWhen(ride.rideId, (r) => r.status === 'completed');
    expect(done.cost).to.be.a('number').greaterThan(0);

    // The same rider asks again, with two others racing: one of the three gets the freed taxi.
    const racers = [userId, ...users.filter((u) => !openUsers(matched, u))].slice(0, 3);
    const again = await Promise.all(racers.map(async (u, i) => (await app.post('/gettaxi/rides', { userId: u, ...near(i + 7) })).rideId as string));
    const outcome = await Promise.all(again.map((id) => app.rideWhen(id, (r) => r.status === 'matched' || r.status === 'cancelled')));
    const winners = outcome.filter((r) => r.status === 'matched');
    expect(winners).to.have.length(1);
    expect(winners[0].taxiId).to.equal(ride.taxiId);
    // The rider of the completed ride was admitted again: matched, or cancelled for want of a taxi.
    expect(outcome[0].reason ?? '').not.to.include('already has an open ride');
    expect(updates(await app.events(app.topics.rideUpdates.name), again[0])).to.include('ride.opened');

    function updates(events: any[], rideId: string): string[] {
      return events.filter((e) => e.rideId === rideId).map((e) => e.type);
    }
    function openUsers(all: any[], u: string): boolean {
      return all.some((r) => rides.get(r.rideId) === u && OPEN.includes(r.status));
    }
  });
});

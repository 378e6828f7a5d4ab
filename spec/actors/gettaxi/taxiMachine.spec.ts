import { expect } from 'chai';
import { createActor } from 'xstate';
import { cellOf, cellsWithin } from '../../../actors/gettaxi/geo.js';
import { createTaxiMachine } from '../../../actors/gettaxi/taxiMachine.js';
import { gettaxiSettings as settings } from '../../../config/gettaxi.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (sec: number) => new Date(T0 + sec * 1000).toISOString();
let seq = 0;
const id = () => `e${++seq}`;
const HOME = { lat: 48.8534, lon: 2.3488 };

const position = (sec: number, p = HOME, available?: boolean) =>
  ({ id: id(), type: 'taxi.position_reported', key: 'taxi_1', at: at(sec), taxiId: 'taxi_1', ...p, ...(available === undefined ? {} : { available }) }) as const;
const proposal = (rideId: string, sec = 1, region = 'r_4885_234') =>
  ({ id: id(), type: 'taxi.assignment_proposed', key: 'taxi_1', at: at(sec), taxiId: 'taxi_1', rideId, region, distanceKm: 0.2 }) as const;
const pickup = (rideId: string, sec: number, p?: { lat: number; lon: number }) =>
  ({ id: id(), type: 'taxi.passenger_picked_up', key: 'taxi_1', at: at(sec), taxiId: 'taxi_1', rideId, ...p }) as const;
const dropoff = (rideId: string, sec: number, p?: { lat: number; lon: number }) =>
  ({ id: id(), type: 'taxi.passenger_dropped_off', key: 'taxi_1', at: at(sec), taxiId: 'taxi_1', rideId, ...p }) as const;

type Out = { type: string; key: string; rideId?: string; reason?: string; lat?: number; lon?: number; cell?: string };

function start() {
  const actor = createActor(createTaxiMachine(settings), { input: { key: 'taxi_1' } });
  const out: Out[] = [];
  actor.on('*', (e) => out.push(e as Out));
  actor.start();
  const take = () => out.splice(0);
  return { actor, take };
}

describe('taxi actor', () => {
  it('accepts a proposal only while free: the second one, for another ride, is rejected', () => {
    const { actor, take } = start();
    actor.send(position(0));
    take();
    actor.send(proposal('ride_a', 1, 'r_1_1'));
    const accepted = take();
    expect(accepted.find((e) => e.type === 'taxi.assignment_accepted')).to.include({ key: 'r_1_1', rideId: 'ride_a' });
    expect(accepted.find((e) => e.type === 'ride.matched')).to.include({ key: 'ride_a', lat: HOME.lat, lon: HOME.lon });
    actor.send(proposal('ride_b', 2, 'r_2_2'));
    const rejected = take();
    expect(rejected).to.have.length(1);
    expect(rejected[0]).to.include({ type: 'taxi.assignment_rejected', key: 'r_2_2', rideId: 'ride_b' });
    expect(rejected[0].reason).to.include('on ride ride_a');
    expect(actor.getSnapshot().context.rideId).to.equal('ride_a');
  });

  it('answers a redelivered proposal for its own ride the same way', () => {
    const { actor, take } = start();
    actor.send(position(0));
    actor.send(proposal('ride_a'));
    take();
    actor.send(proposal('ride_a'));
    expect(take().map((e) => e.type)).to.deep.equal(['taxi.assignment_accepted', 'ride.matched']);
  });

  it('rejects when off duty or when it never reported a position', () => {
    const fresh = start();
    fresh.actor.send(proposal('ride_a'));
    expect(fresh.take()[0].reason).to.include('no known position');
    const off = start();
    off.actor.send(position(0, HOME, false));
    off.take();
    off.actor.send(proposal('ride_a'));
    expect(off.take()[0]).to.include({ type: 'taxi.assignment_rejected' });
    expect(off.actor.getSnapshot().value).to.equal('free');
  });

  it('announces itself to every cell within the radius, and withdraws when taken', () => {
    const { actor, take } = start();
    actor.send(position(0));
    const located = take();
    const cells = cellsWithin(HOME, settings.matchRadiusKm, settings.cellDeg);
    expect(located.map((e) => e.key)).to.have.members(cells);
    expect(cells).to.include(cellOf(HOME, settings.cellDeg));
    expect(located.every((e) => e.type === 'taxi.located' && e.cell === 'r_4885_234')).to.equal(true);
    actor.send(proposal('ride_a'));
    const departed = take().filter((e) => e.type === 'taxi.departed');
    expect(departed.map((e) => e.key)).to.have.members(cells);
  });

  it('re-announces only after moving announceMoveKm or after announceEveryMs', () => {
    const { actor, take } = start();
    actor.send(position(0));
    take();
    actor.send(position(5, { lat: HOME.lat + 0.0005, lon: HOME.lon })); // 56 m
    expect(take()).to.deep.equal([]);
    actor.send(position(10, { lat: HOME.lat + 0.002, lon: HOME.lon })); // 222 m from the announcement
    expect(take().some((e) => e.type === 'taxi.located')).to.equal(true);
    actor.send(position(40, { lat: HOME.lat + 0.002, lon: HOME.lon }));
    expect(take()).to.deep.equal([]);
    actor.send(position(70, { lat: HOME.lat + 0.002, lon: HOME.lon })); // 60 s after the last one
    expect(take().some((e) => e.type === 'taxi.located')).to.equal(true);
  });

  it('withdraws from cells left behind, and from all when the driver goes off duty', () => {
    const { actor, take } = start();
    actor.send(position(0));
    take();
    const far = { lat: HOME.lat + 0.05, lon: HOME.lon };
    actor.send(position(5, far));
    const moved = take();
    const gone = moved.filter((e) => e.type === 'taxi.departed').map((e) => e.key);
    const old = cellsWithin(HOME, settings.matchRadiusKm, settings.cellDeg);
    const now = cellsWithin(far, settings.matchRadiusKm, settings.cellDeg);
    expect(gone).to.have.members(old.filter((c) => !now.includes(c)));
    actor.send(position(6, far, false));
    expect(take().filter((e) => e.type === 'taxi.departed').map((e) => e.key)).to.have.members(now);
  });

  it('forwards its positions to the ride between pickup and dropoff only', () => {
    const { actor, take } = start();
    actor.send(position(0));
    actor.send(proposal('ride_a'));
    actor.send(position(30, { lat: 48.85, lon: 2.35 }));
    take();
    actor.send(pickup('ride_a', 60));
    expect(take()).to.deep.equal([{ type: 'ride.picked_up', key: 'ride_a', rideId: 'ride_a', taxiId: 'taxi_1', lat: 48.85, lon: 2.35 }]);
    actor.send(position(120, { lat: 48.86, lon: 2.35 }));
    expect(take()).to.deep.equal([{ type: 'ride.position_traced', key: 'ride_a', rideId: 'ride_a', taxiId: 'taxi_1', lat: 48.86, lon: 2.35 }]);
    actor.send(dropoff('ride_a', 180, { lat: 48.87, lon: 2.35 }));
    const done = take();
    expect(done[0]).to.deep.equal({ type: 'ride.dropped_off', key: 'ride_a', rideId: 'ride_a', taxiId: 'taxi_1', lat: 48.87, lon: 2.35 });
    // Free again, and announced where the ride ended.
    expect(done.slice(1).every((e) => e.type === 'taxi.located' || e.type === 'taxi.departed')).to.equal(true);
    expect(done.some((e) => e.type === 'taxi.located' && e.cell === 'r_4887_235')).to.equal(true);
    actor.send(position(200, { lat: 48.87, lon: 2.35 }));
    expect(take().some((e) => e.type === 'ride.position_traced')).to.equal(false);
    expect(actor.getSnapshot().value).to.equal('free');
  });

  it('ignores a pickup or dropoff for a ride it is not on, and a dropoff before the pickup', () => {
    const { actor, take } = start();
    actor.send(position(0));
    actor.send(pickup('ride_x', 1));
    actor.send(proposal('ride_a'));
    take();
    actor.send(dropoff('ride_a', 2));
    actor.send(pickup('ride_x', 3));
    expect(take()).to.deep.equal([]);
    expect(actor.getSnapshot().value).to.equal('assigned');
  });

  it('is freed by a revocation of its ride before the pickup', () => {
    const { actor, take } = start();
    actor.send(position(0));
    actor.send(proposal('ride_a'));
    take();
    actor.send({ id: id(), type: 'taxi.assignment_revoked', key: 'taxi_1', at: at(5), taxiId: 'taxi_1', rideId: 'ride_a', reason: 'x' });
    expect(actor.getSnapshot().value).to.equal('free');
    expect(take().some((e) => e.type === 'taxi.located')).to.equal(true);
  });

  it('survives a persisted snapshot round trip while on a ride', () => {
    const { actor } = start();
    actor.send(position(0));
    actor.send(proposal('ride_a'));
    actor.send(pickup('ride_a', 10));
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    const again = createActor(createTaxiMachine(settings), { input: { key: 'taxi_1' }, snapshot: persisted });
    const out: Out[] = [];
    again.on('*', (e) => out.push(e as Out));
    again.start();
    again.send(proposal('ride_b', 11));
    again.send(position(12, { lat: 48.86, lon: 2.35 }));
    expect(out.map((e) => e.type)).to.deep.equal(['taxi.assignment_rejected', 'ride.position_traced']);
  });
});

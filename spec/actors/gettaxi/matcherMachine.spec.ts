import { expect } from 'chai';
import { createActor } from 'xstate';
import { createMatcherMachine } from '../../../actors/gettaxi/matcherMachine.js';
import { gettaxiSettings as settings } from '../../../config/gettaxi.js';

const CELL = 'r_4885_235';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (sec: number) => new Date(T0 + sec * 1000).toISOString();
let seq = 0;
const ev = (type: string, sec: number, fields: Record<string, unknown>) => ({ id: `e${++seq}`, type, key: CELL, at: at(sec), ...fields }) as never;
const RIDER = { lat: 48.855, lon: 2.355 };
/** A taxi `km` north of the rider (0.01° of latitude = 1.112 km). */
const located = (taxiId: string, km: number, sec = 0) =>
  ev('taxi.located', sec, { taxiId, lat: RIDER.lat + km / 111.19, lon: RIDER.lon, cell: CELL });
const request = (rideId: string, sec = 1) => ev('ride.match_requested', sec, { rideId, userId: `u_${rideId}`, ...RIDER, region: CELL });
const accepted = (taxiId: string, rideId: string, sec = 2) => ev('taxi.assignment_accepted', sec, { taxiId, rideId });
const rejected = (taxiId: string, rideId: string, sec = 2) => ev('taxi.assignment_rejected', sec, { taxiId, rideId, reason: 'busy' });

type Out = { type: string; key: string; taxiId?: string; rideId: string; reason?: string; region?: string };

function start() {
  const actor = createActor(createMatcherMachine(settings), { input: { key: CELL } });
  const out: Out[] = [];
  actor.on('*', (e) => out.push(e as Out));
  actor.start();
  return { actor, take: () => out.splice(0) };
}

describe('matcher actor', () => {
  it('proposes the nearest available taxi within the radius', () => {
    const { actor, take } = start();
    actor.send(located('taxi_far', 0.9));
    actor.send(located('taxi_near', 0.3));
    actor.send(located('taxi_out', 1.5));
    actor.send(request('ride_1'));
    const [p] = take();
    expect(p).to.include({ type: 'taxi.assignment_proposed', key: 'taxi_near', taxiId: 'taxi_near', rideId: 'ride_1', region: CELL });
  });

  it('tries the next nearest after a rejection, and gives up with the reason when none is left', () => {
    const { actor, take } = start();
    actor.send(located('taxi_a', 0.2));
    actor.send(located('taxi_b', 0.4));
    actor.send(request('ride_1'));
    expect(take()[0]).to.include({ taxiId: 'taxi_a' });
    actor.send(rejected('taxi_a', 'ride_1'));
    expect(take()[0]).to.include({ taxiId: 'taxi_b' });
    actor.send(rejected('taxi_b', 'ride_1', 3));
    expect(take()).to.deep.equal([{ type: 'ride.unmatched', key: 'ride_1', rideId: 'ride_1', reason: 'no available taxi within 1 km accepted (2 asked)' }]);
    expect(actor.getSnapshot().context.pending).to.deep.equal([]);
  });

  it('cancels at once when no taxi is in reach, and does not offer taxis not announced lately', () => {
    const { actor, take } = start();
    actor.send(located('taxi_old', 0.1, 0));
    actor.send(request('ride_1', 3 * 60));
    expect(take()).to.deep.equal([{ type: 'ride.unmatched', key: 'ride_1', rideId: 'ride_1', reason: 'no available taxi within 1 km' }]);
  });

  it('proposes one taxi to one ride at a time: a second ride waits for the answer', () => {
    const { actor, take } = start();
    actor.send(located('taxi_a', 0.2));
    actor.send(request('ride_1'));
    actor.send(request('ride_2'));
    expect(take().map((e) => [e.type, e.rideId])).to.deep.equal([['taxi.assignment_proposed', 'ride_1']]);
    // ride_1 got it: nothing is left for ride_2.
    actor.send(accepted('taxi_a', 'ride_1'));
    expect(take()).to.deep.equal([{ type: 'ride.unmatched', key: 'ride_2', rideId: 'ride_2', reason: 'no available taxi within 1 km' }]);
  });

  it('offers a taxi to the waiting ride when a new one is announced', () => {
    const { actor, take } = start();
    actor.send(located('taxi_a', 0.2));
    actor.send(request('ride_1'));
    actor.send(request('ride_2'));
    take();
    actor.send(located('taxi_b', 0.5, 2));
    expect(take()).to.deep.equal([{ type: 'taxi.assignment_proposed', key: 'taxi_b', taxiId: 'taxi_b', rideId: 'ride_2', region: CELL, distanceKm: 0.5 }]);
  });

  it('forgets a taxi that departed or was taken elsewhere', () => {
    const { actor, take } = start();
    actor.send(located('taxi_a', 0.2));
    actor.send(located('taxi_b', 0.4));
    actor.send(ev('taxi.departed', 1, { taxiId: 'taxi_a' }));
    actor.send(request('ride_1', 2));
    expect(take()[0]).to.include({ taxiId: 'taxi_b' });
  });

  it('ignores a redelivered request, and answers that do not match its proposal', () => {
    const { actor, take } = start();
    actor.send(located('taxi_a', 0.2));
    actor.send(located('taxi_b', 0.3));
    actor.send(request('ride_1'));
    actor.send(request('ride_1'));
    expect(take()).to.have.length(1);
    actor.send(accepted('taxi_b', 'ride_1')); // not whom it asked
    expect(actor.getSnapshot().context.pending[0]).to.include({ rideId: 'ride_1', proposedTo: 'taxi_a' });
    actor.send(accepted('taxi_a', 'ride_1'));
    actor.send(request('ride_1', 5));
    expect(take()).to.deep.equal([]);
  });

  it('breaks distance ties by taxi id, so that a replay proposes the same taxi', () => {
    const { actor, take } = start();
    actor.send(located('taxi_b', 0.3));
    actor.send(located('taxi_a', 0.3));
    actor.send(request('ride_1'));
    expect(take()[0]).to.include({ taxiId: 'taxi_a' });
  });
});

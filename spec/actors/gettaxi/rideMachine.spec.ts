import { expect } from 'chai';
import { createActor } from 'xstate';
import { createRideMachine } from '../../../actors/gettaxi/rideMachine.js';
import { gettaxiSettings as settings } from '../../../config/gettaxi.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();
let seq = 0;
const ev = (type: string, min: number, fields: Record<string, unknown> = {}) =>
  ({ id: `e${++seq}`, type, key: 'ride_1', at: at(min), rideId: 'ride_1', ...fields }) as never;
const facts = { userId: 'alice', lat: 48.85, lon: 2.35, region: 'r_4885_235', surge: 1.5 };
const opened = (min = 0) => ev('ride.opened', min, facts);
const matched = (taxiId = 'taxi_1', min = 1) => ev('ride.matched', min, { taxiId, lat: 48.851, lon: 2.35 });
const at_ = (type: string, min: number, lat: number, taxiId = 'taxi_1') => ev(type, min, { taxiId, lat, lon: 2.35 });

type Out = { type: string; key: string; status?: string; version?: number; cost?: number | null; distanceKm?: number | null; reason?: string | null; taxiId?: string | null; durationMin?: number | null; tracePoints?: number };

function start() {
  const actor = createActor(createRideMachine(settings), { input: { key: 'ride_1' } });
  const out: Out[] = [];
  actor.on('*', (e) => out.push(e as Out));
  actor.start();
  return { actor, out, statuses: () => out.filter((e) => e.type === 'ride.status_changed') };
}

describe('ride actor', () => {
  it('goes requested → matched → picked_up → completed, asking its cell\'s matcher for a taxi', () => {
    const { actor, out, statuses } = start();
    actor.send(opened());
    expect(out.find((e) => e.type === 'ride.match_requested')).to.include({ key: 'r_4885_235' });
    actor.send(matched());
    actor.send(at_('ride.picked_up', 2, 48.85));
    actor.send(at_('ride.dropped_off', 12, 48.86));
    expect(statuses().map((e) => [e.status, e.version])).to.deep.equal([['requested', 1], ['matched', 2], ['picked_up', 3], ['completed', 4]]);
    expect(statuses().at(-1)).to.include({ taxiId: 'taxi_1', key: 'ride_1' });
    expect(actor.getSnapshot().value).to.equal('completed');
  });

  it('prices a known trace as computed by hand', () => {
    // Trace (lon 2.35 throughout, so every leg runs along a meridian and the haversine is exactly
    // R × Δφ): pickup 48.85 at 12:00, 48.86 at 12:04, 48.87 at 12:08, dropoff 48.88 at 12:10.
    //   one leg of 0.01° = 6371 km × 0.01 × π/180       = 1.111949266 km
    //   distance         = 3 × 1.111949266               = 3.335847799 km
    //   duration         = 12:10 − 12:00                 = 10 min
    //   before surge     = 2.50 + 1.20 × 3.335847799 + 0.30 × 10
    //                    = 2.50 + 4.003017359 + 3.00     = 9.503017359
    //   × surge 1.5 quoted at request                    = 14.254526039 → 14.25
    const { actor, statuses } = start();
    actor.send(opened());
    actor.send(matched());
    actor.send(at_('ride.picked_up', 0, 48.85));
    actor.send(at_('ride.position_traced', 4, 48.86));
    actor.send(at_('ride.position_traced', 8, 48.87));
    actor.send(at_('ride.dropped_off', 10, 48.88));
    const done = statuses().at(-1)!;
    expect(done).to.include({ status: 'completed', cost: 14.25, durationMin: 10, tracePoints: 4 });
    expect(done.distanceKm).to.be.closeTo(3.336, 0.0005);
  });

  it('keeps out of the trace the points before pickup, older than the last one, or of another taxi', () => {
    const { actor, statuses } = start();
    actor.send(opened());
    actor.send(matched());
    actor.send(at_('ride.position_traced', 0.5, 48.0)); // still on its way: not part of the ride
    actor.send(at_('ride.picked_up', 1, 48.85));
    actor.send(at_('ride.position_traced', 5, 48.86));
    actor.send(at_('ride.position_traced', 3, 48.99)); // late: would fold the path back
    actor.send(at_('ride.position_traced', 6, 48.99, 'taxi_2'));
    actor.send(at_('ride.dropped_off', 11, 48.87));
    const done = statuses().at(-1)!;
    expect(done.tracePoints).to.equal(3);
    expect(done.distanceKm).to.be.closeTo(2.224, 0.0005);
    // (2.50 + 1.20 × 2.223898533 + 0.30 × 10) × 1.5 = 8.168678240 × 1.5 = 12.253017 → 12.25
    expect(done.cost).to.equal(12.25);
  });

  it('is cancelled with the reason when the rider refused it or no taxi was found', () => {
    const refused = start();
    refused.actor.send(ev('ride.refused', 0, { ...facts, reason: 'user alice already has an open ride, ride_0' }));
    expect(refused.statuses()).to.have.length(1);
    expect(refused.statuses()[0]).to.include({ status: 'cancelled', reason: 'user alice already has an open ride, ride_0' });
    expect(refused.out.some((e) => e.type === 'ride.match_requested')).to.equal(false);

    const unmatched = start();
    unmatched.actor.send(opened());
    unmatched.actor.send(ev('ride.unmatched', 1, { reason: 'no available taxi within 1 km' }));
    expect(unmatched.statuses().at(-1)).to.include({ status: 'cancelled', reason: 'no available taxi within 1 km', version: 2 });
  });

  it('keeps its first taxi and revokes any other, whatever its state', () => {
    const { actor, out } = start();
    actor.send(opened());
    actor.send(matched('taxi_1'));
    actor.send(matched('taxi_2', 2));
    actor.send(matched('taxi_1', 2)); // its own taxi again: nothing to do
    expect(out.filter((e) => e.type === 'taxi.assignment_revoked')).to.deep.equal([
      { type: 'taxi.assignment_revoked', key: 'taxi_2', taxiId: 'taxi_2', rideId: 'ride_1', reason: 'ride ride_1 already has taxi taxi_1' },
    ]);
    expect(actor.getSnapshot().context.taxiId).to.equal('taxi_1');

    const cancelled = start();
    cancelled.actor.send(opened());
    cancelled.actor.send(ev('ride.unmatched', 1, { reason: 'none' }));
    cancelled.actor.send(matched('taxi_3', 2));
    expect(cancelled.out.at(-1)).to.include({ type: 'taxi.assignment_revoked', key: 'taxi_3' });
  });

  it('ignores a pickup by another taxi and a dropoff before the pickup', () => {
    const { actor, statuses } = start();
    actor.send(opened());
    actor.send(matched('taxi_1'));
    actor.send(at_('ride.picked_up', 2, 48.85, 'taxi_2'));
    actor.send(at_('ride.dropped_off', 3, 48.85));
    expect(actor.getSnapshot().value).to.equal('matched');
    expect(statuses()).to.have.length(2);
  });

  it('survives a persisted snapshot round trip in the middle of a ride', () => {
    const { actor } = start();
    actor.send(opened());
    actor.send(matched());
    actor.send(at_('ride.picked_up', 0, 48.85));
    actor.send(at_('ride.position_traced', 4, 48.86));
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    const again = createActor(createRideMachine(settings), { input: { key: 'ride_1' }, snapshot: persisted });
    const out: Out[] = [];
    again.on('*', (e) => out.push(e as Out));
    again.start();
    again.send(at_('ride.position_traced', 8, 48.87));
    again.send(at_('ride.dropped_off', 10, 48.88));
    expect(out.at(-1)).to.include({ status: 'completed', cost: 14.25, version: 4 });
  });
});

import { expect } from 'chai';
import { createActor } from 'xstate';
import { riderMachine } from '../../../actors/gettaxi/riderMachine.js';

const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 12, min)).toISOString();
let seq = 0;
const requested = (rideId: string, min = 0) => ({
  id: `e${++seq}`, type: 'ride.requested', key: 'alice', at: at(min), rideId, userId: 'alice', lat: 48.85, lon: 2.35, region: 'r_4885_235', surge: 1.2,
}) as const;
const status = (rideId: string, s: 'requested' | 'matched' | 'picked_up' | 'completed' | 'cancelled', version: number) => ({
  id: `e${++seq}`, type: 'ride.status_changed', key: 'alice', at: at(5), rideId, userId: 'alice', status: s, taxiId: null, surge: 1.2,
  cost: null, reason: null, region: 'r_4885_235', requestedAt: at(0), pickedUpAt: null, droppedOffAt: null, distanceKm: null,
  durationMin: null, tracePoints: 0, version,
}) as const;

type Out = { type: string; key: string; rideId: string; reason?: string; surge?: number };

function start() {
  const actor = createActor(riderMachine, { input: { key: 'alice' } });
  const out: Out[] = [];
  actor.on('*', (e) => out.push(e as Out));
  actor.start();
  return { actor, out };
}

describe('rider actor', () => {
  it('opens a requested ride with the quoted surge, on the ride\'s key', () => {
    const { actor, out } = start();
    actor.send(requested('ride_1'));
    expect(out).to.deep.equal([{
      type: 'ride.opened', key: 'ride_1', rideId: 'ride_1', userId: 'alice', lat: 48.85, lon: 2.35, region: 'r_4885_235', surge: 1.2,
    }]);
    expect(actor.getSnapshot().context.openRideId).to.equal('ride_1');
  });

  it('refuses a second ride while one is open, with the reason', () => {
    const { actor, out } = start();
    actor.send(requested('ride_1'));
    actor.send(requested('ride_2'));
    expect(out[1]).to.include({ type: 'ride.refused', key: 'ride_2', reason: 'user alice already has an open ride, ride_1' });
    expect(actor.getSnapshot().context.openRideId).to.equal('ride_1');
  });

  it('frees the slot only when the open ride completes or is cancelled', () => {
    const { actor, out } = start();
    actor.send(requested('ride_1'));
    actor.send(status('ride_1', 'matched', 2));
    actor.send(status('ride_9', 'completed', 4)); // some other ride: not ours
    actor.send(requested('ride_2'));
    expect(out.at(-1)).to.include({ type: 'ride.refused', rideId: 'ride_2' });
    actor.send(status('ride_1', 'completed', 4));
    actor.send(requested('ride_3'));
    expect(out.at(-1)).to.include({ type: 'ride.opened', rideId: 'ride_3' });
    actor.send(status('ride_3', 'cancelled', 2));
    expect(actor.getSnapshot().value).to.equal('idle');
  });

  it('does not reopen a ride whose request is seen again, open or ended', () => {
    const { actor, out } = start();
    actor.send(requested('ride_1'));
    actor.send(requested('ride_1'));
    expect(out).to.have.length(1);
    actor.send(status('ride_1', 'completed', 4));
    actor.send(requested('ride_1'));
    expect(out).to.have.length(1);
    expect(actor.getSnapshot().value).to.equal('idle');
  });

  it('survives a persisted snapshot round trip with an open ride', () => {
    const { actor } = start();
    actor.send(requested('ride_1'));
    const persisted = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
    const again = createActor(riderMachine, { input: { key: 'alice' }, snapshot: persisted });
    const out: Out[] = [];
    again.on('*', (e) => out.push(e as Out));
    again.start();
    again.send(requested('ride_2'));
    expect(out[0]).to.include({ type: 'ride.refused' });
  });
});

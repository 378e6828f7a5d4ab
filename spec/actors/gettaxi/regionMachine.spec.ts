import { expect } from 'chai';
import { createActor } from 'xstate';
import { createRegionMachine } from '../../../actors/gettaxi/regionMachine.js';
import { gettaxiSettings as settings } from '../../../config/gettaxi.js';

const CELL = 'r_4885_235';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();
let seq = 0;
const ev = (type: string, min: number, fields: Record<string, unknown>) => ({ id: `e${++seq}`, type, key: CELL, at: at(min), ...fields }) as never;
const user = (userId: string, min = 0) => ev('user.position_reported', min, { userId, lat: 48.855, lon: 2.355 });
const request = (userId: string, min = 0) => ev('ride.requested', min, { rideId: `ride_${userId}`, userId, lat: 48.855, lon: 2.355, region: CELL, surge: 1 });
const taxi = (taxiId: string, min = 0, cell = CELL) => ev('taxi.located', min, { taxiId, lat: 48.855, lon: 2.355, cell });

type Out = { type: string; key: string; surge: number; supply: number; demand: number; weatherBoost: number; eventBoost: number };

function start() {
  const actor = createActor(createRegionMachine(settings), { input: { key: CELL } });
  const out: Out[] = [];
  actor.on('*', (e) => out.push(e as Out));
  actor.start();
  return { actor, out, surges: () => out.map((e) => e.surge) };
}

describe('region actor', () => {
  it('surges when riders outnumber the available taxis, publishing only when the multiplier moves', () => {
    const { actor, out, surges } = start();
    actor.send(taxi('taxi_1'));
    actor.send(user('u1'));
    actor.send(user('u1')); // the same rider twice is one rider
    expect(out).to.deep.equal([]);
    actor.send(user('u2')); // 2 riders, 1 taxi: 1 + 0.5 × (2 − 1) = 1.5
    actor.send(request('u3')); // 3 riders: 1 + 0.5 × 2 = 2.0
    actor.send(request('u3'));
    expect(surges()).to.deep.equal([1.5, 2]);
    expect(out.at(-1)).to.deep.equal({ type: 'surge.changed', key: CELL, region: CELL, surge: 2, supply: 1, demand: 3, weatherBoost: 0, eventBoost: 0 });
    actor.send(taxi('taxi_2')); // 3 / 2: 1.25 → 1.3
    expect(surges().at(-1)).to.equal(1.3);
  });

  it('counts over a sliding window of event time', () => {
    const { actor, surges } = start();
    actor.send(taxi('taxi_1', 0));
    actor.send(user('u1', 0));
    actor.send(user('u2', 1));
    actor.send(user('u3', 2));
    expect(surges().at(-1)).to.equal(2);
    actor.send(taxi('taxi_1', 4)); // re-announced
    actor.send(user('u3', 5.5)); // u1 (minute 0) left the 5-minute window: 2 riders
    expect(surges().at(-1)).to.equal(1.5);
    actor.send(user('u3', 6.5)); // u2 left too
    expect(surges().at(-1)).to.equal(1);
  });

  it('counts as supply only taxis announced in this very cell and not departed', () => {
    const { actor, out, surges } = start();
    actor.send(taxi('taxi_1'));
    actor.send(taxi('taxi_2'));
    for (const u of ['u1', 'u2', 'u3', 'u4']) actor.send(user(u));
    expect(out.at(-1)).to.include({ surge: 1.5, supply: 2, demand: 4 }); // 1 + 0.5 × (4/2 − 1)
    actor.send(taxi('taxi_2', 1, 'r_4885_236')); // moved next door: still in reach, not supply here
    expect(out.at(-1)).to.include({ surge: 2.5, supply: 1 });
    actor.send(ev('taxi.departed', 1, { taxiId: 'taxi_1' })); // 4 / max(0, 1): the same 2.5
    actor.send(user('u5', 1));
    expect(out.at(-1)).to.include({ surge: 3, supply: 0, demand: 5 });
    expect(surges()).to.deep.equal([1.3, 1.5, 2.5, 3]); // 3 riders / 2 taxis on the way: 1.25 → 1.3
  });

  it('adds the weather boost while the report holds', () => {
    const { actor, out, surges } = start();
    actor.send(taxi('taxi_1'));
    actor.send(ev('weather.reported', 0, { region: CELL, condition: 'rain', validUntil: at(30) }));
    expect(surges()).to.deep.equal([1.2]);
    actor.send(ev('weather.reported', 1, { region: CELL, condition: 'storm' }));
    expect(out.at(-1)).to.include({ surge: 1.6, weatherBoost: 0.6 });
    actor.send(ev('weather.reported', 2, { region: CELL, condition: 'snow', validUntil: at(10) }));
    actor.send(taxi('taxi_1', 11)); // the snow report expired
    expect(surges()).to.deep.equal([1.2, 1.6, 1.4, 1]);
  });

  it('adds a city event\'s boost from 30 minutes before it starts until 30 minutes after it ends', () => {
    const { actor, out, surges } = start();
    actor.send(ev('city_event.scheduled', 0, {
      region: CELL, eventId: 'concert', name: 'Concert', startsAt: at(60), endsAt: at(180), attendance: 20_000,
    }));
    expect(surges()).to.deep.equal([]);
    actor.send(user('u1', 31)); // 29 minutes before: 1 + 0.5 (10 000+ tier)
    expect(out.at(-1)).to.include({ surge: 1.5, eventBoost: 0.5 });
    actor.send(user('u1', 211)); // 31 minutes after the end
    expect(surges()).to.deep.equal([1.5, 1]);
    expect(actor.getSnapshot().context.events).to.deep.equal([]);
  });

  it('drops a cancelled city event, and caps the surge', () => {
    const { actor, surges } = start();
    actor.send(ev('city_event.scheduled', 0, { region: CELL, eventId: 'match', name: 'Final', startsAt: at(0), endsAt: at(120), attendance: 80_000 }));
    for (let i = 0; i < 10; i++) actor.send(user(`u${i}`, 1)); // 1 + 0.5 × 9 + 1 = 6.5, capped
    expect(surges().at(-1)).to.equal(settings.surge.max);
    actor.send(ev('city_event.cancelled', 2, { region: CELL, eventId: 'match' }));
    expect(surges().at(-1)).to.equal(settings.surge.max); // 5.5 without it: still capped
    expect(actor.getSnapshot().context.events).to.deep.equal([]);
  });
});

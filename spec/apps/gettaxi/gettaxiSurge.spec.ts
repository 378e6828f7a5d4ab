/**
 * The optional surge inputs end to end on the memory transport: a weather report and a city event
 * produced to their topics raise a region's surge, the taxi cost service shows it, and a ride
 * requested there is charged with it.
 */
import { expect } from 'chai';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { waitFor } from '../../support/waitFor.js';
import { GettaxiProcess } from './gettaxiFixture.js';

const CELL = 'r_5052_1340';
const HERE = { lat: 50.5205, lon: 13.4005 };
let produced = 0;

describe('GetTaxi surge from weather and city events (memory transport)', function () {
  this.timeout(30_000);
  let broker: MemoryBroker;
  let app: GettaxiProcess;

  before(async () => {
    broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    app = await GettaxiProcess.start(broker);
  });
  after(async () => {
    await app.stop();
    await broker.close();
  });

  const produce = async (topic: string, event: Record<string, unknown>) => {
    const producer = broker.producer();
    await producer.send([{ topic, key: CELL, value: JSON.stringify({ id: `ext-${++produced}`, key: CELL, at: new Date().toISOString(), ...event }) }]);
    await producer.close();
  };
  const estimate = async () => (await app.call('GET', `/gettaxi/estimate?lat=${HERE.lat}&lon=${HERE.lon}`)).body;

  it('raises the surge for a storm and a big event, and charges a ride the surge quoted', async () => {
    expect(await estimate()).to.deep.equal({ region: CELL, surge: 1, estimate: 13 });
    await app.post('/gettaxi/taxis/taxi_w/position', { ...HERE, available: true });
    await produce(app.topics.weather.name, { type: 'weather.reported', region: CELL, condition: 'storm' });
    await waitFor(async () => (await estimate()).surge === 1.6, { message: 'the storm to raise the surge' });
    const start = new Date(Date.now() - 60_000).toISOString();
    const end = new Date(Date.now() + 3_600_000).toISOString();
    await produce(app.topics.events.name, { type: 'city_event.scheduled', region: CELL, eventId: 'final', name: 'Cup final', startsAt: start, endsAt: end, attendance: 60_000 });
    // 1 + storm 0.6 + an event of 50 000+ attendees 1.0 = 2.6; the estimate (2.50 + 6.00 + 4.50) × 2.6 = 33.80
    await waitFor(async () => (await estimate()).surge === 2.6, { message: 'the event to raise the surge' });
    expect(await estimate()).to.deep.equal({ region: CELL, surge: 2.6, estimate: 33.8 });

    const { rideId } = await app.post('/gettaxi/rides', { userId: 'fan', ...HERE });
    const matched = await app.rideWhen(rideId, (r) => r.status === 'matched');
    expect(matched).to.include({ surge: 2.6, taxiId: 'taxi_w' });
    const T = Date.now() - 20 * 60_000;
    await app.post(`/gettaxi/rides/${rideId}/pickup`, { taxiId: 'taxi_w', lat: 50.52, lon: 13.4, at: new Date(T).toISOString() });
    await app.rideWhen(rideId, (r) => r.status === 'picked_up');
    await app.post(`/gettaxi/rides/${rideId}/dropoff`, { taxiId: 'taxi_w', lat: 50.53, lon: 13.4, at: new Date(T + 5 * 60_000).toISOString() });
    // (2.50 + 1.20 × 1.111949266 + 0.30 × 5) × 2.6 = (2.50 + 1.334339 + 1.50) × 2.6 = 13.869282 → 13.87
    expect(await app.rideWhen(rideId, (r) => r.status === 'completed')).to.include({ cost: 13.87, surge: 2.6 });
  });

  it('sends a malformed weather report to the dead-letter topic and goes on', async () => {
    const dlq = 'queuing.gettaxi.dead_letters';
    const deadLetters = async () => {
      let n = 0;
      for (let partition = 0; partition < 3; partition++) n += (await broker.admin.watermarks({ topic: dlq, partition })).high;
      return n;
    };
    await produce(app.topics.weather.name, { type: 'weather.reported', region: CELL, condition: 'hail' });
    await waitFor(async () => (await deadLetters()) > 0, { message: 'the bad report to be dead-lettered' });
    expect((await app.events(dlq)).some((e) => e.condition === 'hail')).to.equal(true);
    // The region still reads its weather: the storm is over, the event goes on (1 + 1.0).
    await produce(app.topics.weather.name, { type: 'weather.reported', region: CELL, condition: 'clear' });
    await waitFor(async () => (await estimate()).surge === 2, { message: 'clear weather to lower the surge' });
  });
});

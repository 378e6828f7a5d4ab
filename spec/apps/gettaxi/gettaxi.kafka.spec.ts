/**
 * GetTaxi's main path on the kafka transport, against a real broker, through HTTP: positions →
 * request → matched → pickup → trace → dropoff → the hand-computed fare, and a small race of riders
 * over one taxi. Topics get a unique dataset per run (`tracking.gettaxi_t<hex>.taxi_position`, …)
 * and are deleted afterwards.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { cellOf } from '../../../actors/gettaxi/geo.js';
import { KafkaBroker } from '../../../adapters/kafka/index.js';
import { gettaxiSettings } from '../../../config/gettaxi.js';
import { allTopics } from '../../../src/host/topology.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';
import { GettaxiProcess } from './gettaxiFixture.js';

const WAIT_MS = 45_000;

/** The taxi's report travels taxi actor → availability topic → matcher: a request sent before it
 * arrives finds no taxi, rightly. So the specs ask once the rider's matcher knows the taxi. */
async function matcherKnows(app: GettaxiProcess, at: { lat: number; lon: number }, taxiId: string): Promise<void> {
  const cell = cellOf(at, gettaxiSettings.cellDeg);
  await waitFor(() => app.snapshot('matcher', cell)?.context.taxis?.[taxiId] !== undefined,
    { timeoutMs: WAIT_MS, message: `the matcher of ${cell} to know ${taxiId}` });
}

describeKafka('GetTaxi on the kafka transport', function () {
  this.timeout(180_000);
  let broker: KafkaBroker;
  let app: GettaxiProcess | undefined;

  before(async () => {
    broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'gettaxi-spec', logger: recordingKafkaLogger() });
    app = await GettaxiProcess.start(broker, `gettaxi_t${randomBytes(5).toString('hex')}`);
  });

  after(async () => {
    const names = app ? allTopics(app.runtime.apps[0]).map((t) => t.name) : [];
    await app?.stop();
    if (names.length > 0) await broker.admin.deleteTopics(names).catch(() => undefined);
    await broker?.close();
  });

  it('matches, picks up, traces, drops off and charges the hand-computed fare', async () => {
    const a = app!;
    await a.post('/gettaxi/taxis/k_taxi/position', { lat: 45.76, lon: 4.83, available: true });
    await a.post('/gettaxi/users/k_user/position', { lat: 45.7605, lon: 4.8302 });
    await matcherKnows(a, { lat: 45.7605, lon: 4.8302 }, 'k_taxi');
    const { rideId } = await a.post('/gettaxi/rides', { userId: 'k_user', lat: 45.7605, lon: 4.8302 });
    expect(await a.rideWhen(rideId, (r) => r.status !== 'requested', WAIT_MS)).to.deep.equal({ rideId, status: 'matched', taxiId: 'k_taxi', surge: 1 });

    // Pickup at T, 45.76 → 45.77 at T+4 → 45.78 at T+8, dropoff at 45.79 at T+10 (lon 4.83):
    //   3 legs of 0.01° along a meridian = 3 × 6371 × 0.01 × π/180 = 3.335847799 km
    //   (2.50 + 1.20 × 3.335847799 + 0.30 × 10) × 1                = 9.503017359 → 9.50
    const T = Date.now() - 30 * 60_000;
    const at = (m: number) => new Date(T + m * 60_000).toISOString();
    await a.post(`/gettaxi/rides/${rideId}/pickup`, { taxiId: 'k_taxi', lat: 45.76, lon: 4.83, at: at(0) });
    await a.rideWhen(rideId, (r) => r.status === 'picked_up', WAIT_MS);
    await a.post('/gettaxi/taxis/k_taxi/position', { lat: 45.77, lon: 4.83, at: at(4) });
    await a.post('/gettaxi/taxis/k_taxi/position', { lat: 45.78, lon: 4.83, at: at(8) });
    await a.post(`/gettaxi/rides/${rideId}/dropoff`, { taxiId: 'k_taxi', lat: 45.79, lon: 4.83, at: at(10) });
    const done = await a.rideWhen(rideId, (r) => r.status === 'completed', WAIT_MS);
    expect(done).to.deep.equal({ rideId, status: 'completed', taxiId: 'k_taxi', surge: 1, cost: 9.5, distanceKm: 3.336, durationMin: 10 });
  });

  it('gives one taxi to one of three racing riders, and refuses a second ride to a rider', async () => {
    const a = app!;
    await a.post('/gettaxi/taxis/k_solo/position', { lat: 41.39, lon: 2.17, available: true });
    const asks = [['k_r1', 41.3901], ['k_r2', 41.3899], ['k_r3', 41.3902], ['k_r1', 41.3901]] as const;
    for (const [, lat] of asks) await matcherKnows(a, { lat, lon: 2.1701 }, 'k_solo');
    const ids = await Promise.all(asks.map(async ([userId, lat]) => (await a.post('/gettaxi/rides', { userId, lat, lon: 2.1701 })).rideId as string));
    const final = await Promise.all(ids.map((id) => a.rideWhen(id, (r) => r.status === 'matched' || r.status === 'cancelled', WAIT_MS)));
    const matched = final.filter((r) => r.status === 'matched');
    expect(matched).to.have.length(1);
    expect(matched[0].taxiId).to.equal('k_solo');
    expect(final.filter((r) => r.status === 'cancelled').map((r) => r.reason)).to.have.length(3);
    const dispatch = await a.events(a.topics.dispatch.name);
    expect(dispatch.filter((e) => e.type === 'taxi.assignment_accepted' && e.taxiId === 'k_solo')).to.have.length(1);
  });
});

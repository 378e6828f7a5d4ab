/**
 * GetTaxi under simulation: taxis roam a city square, available or off duty for a while; riders
 * report where they are and ask for rides (now and then again while one is open: the app refuses
 * those); a taxi matched to a ride drives to the rider, reports the pickup, drives to a destination
 * reporting its positions, and reports the dropoff. The generator learns of matches as a driver's
 * app would, by reading the ride in the read model (through the same database) between ticks. A
 * weather feed and city events (one of them called off) move the surge; now and then two riders
 * across a cell border ask at once, so two matchers race for one taxi; a small share of position
 * records is malformed.
 *
 * The checks, on the history of the topics as spec/apps/gettaxi/gettaxiMatching.spec.ts does, use
 * record timestamps (the virtual time a record was produced) as bounds: an actor handled an input
 * no earlier than the input was produced, and no later than its output was. Two rides of a taxi
 * (or of a user) overlapped for certain when both were taken before either was released.
 */
import { join } from 'node:path';
import { type LatLon, cellOf, haversineKm, pathKm } from '../../../actors/gettaxi/geo.js';
import { rideCost } from '../../../actors/gettaxi/pricing.js';
import { datasetOf, gettaxiSettings as settings, gettaxiTopics as t } from '../../../config/gettaxi.js';
import type { IntentionallyUnreached } from '../../sim/coverage.js';
import { deadLetteredOnce, inFilesOnce, storedOnce } from '../../sim/invariants.js';
import { type SimRequest, caller } from '../../sim/SimEdge.js';
import type { Invariant, SimCall, SimRecord, SimView } from '../../sim/Simulation.js';
import { perTick, skewed, timesIn } from '../../sim/traffic.js';
import { analyticsSummary } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteGettaxiReadModel } from '../../../adapters/sqlite/SqliteGettaxiReadModel.js';
import type { AppSimulation, HostedApp, SimulationContext } from '../AppModule.js';
import { history, overlapping } from './gettaxiHistory.js';

const APP = datasetOf(t);
const CENTER: LatLon = { lat: 48.8566, lon: 2.3522 };
const KM_LAT = 1 / 111.195;
const KM_LON = KM_LAT / Math.cos((CENTER.lat * Math.PI) / 180);
const MALFORMED = 0.005;
const INVALID = 0.005;
/** How far a taxi goes between two reports on a job, and roaming. */
const DRIVE_KM = 0.3;
const ROAM_KM = 0.12;

type Point = readonly [lat: number, lon: number, at: number];

interface Ride {
  readonly rideId: string;
  readonly userId: string;
  readonly at: LatLon;
  readonly surge: number;
  /** As the taxis know it: requested until the read model shows the match. */
  status: 'requested' | 'matched' | 'picked_up' | 'completed' | 'cancelled';
  taxiId: string | null;
  /** Pickup, positions, dropoff: what the fare is made of. */
  readonly trace: Point[];
}

interface Taxi {
  readonly taxiId: string;
  lat: number;
  lon: number;
  offDutyUntil: number;
  job: { ride: Ride; to: LatLon } | null;
}

/**
 * Defensive transitions this traffic does not reach (statechart coverage, src/sim/coverage.ts). A
 * copy of a record under the same event id — what the edge's retries and the faults make — is
 * dropped by the actor host before the machine sees it, so handlers for "the same request again"
 * are reached only by a new event id carrying an old ride.
 */
export const gettaxiUnreached: IntentionallyUnreached = {
  'gettaxi.ride': {
    '(root) --ride.matched--> (stay) [otherTaxi]':
      'a second taxi for a ride: the matcher proposes a ride to one taxi at a time; seed 7 (10 min, with and without faults) counts 0 revocations',
  },
  'gettaxi.taxi': {
    'free --taxi.assignment_proposed--> (stay)':
      'a proposal to a taxi whose driver went off duty: the taxi withdraws from its cells when it does, so only a proposal already on its way reaches it; '
      + 'since the edge sends each request on its own, seed 7 (10 min, all faults) never interleaves them so; spec/actors/gettaxi/taxiMachine.spec.ts covers it',
    'assigned --taxi.assignment_revoked--> free [sameRide]': 'revocations come only from a ride matched twice (gettaxi.ride otherTaxi above)',
    'assigned --taxi.assignment_proposed--> (stay) [sameRide]': 'the same proposal again under a new event id: the matcher never re-proposes a ride to the taxi that holds it',
    'onRide --taxi.assignment_proposed--> (stay) [inline]':
      'a stale proposal arriving after the pickup: the taxi withdrew from its cells when assigned, so stale ones reach it while still assigned (taken)',
  },
  'gettaxi.rider': {
    'idle --ride.requested--> (stay) [wasClosed]': 'a closed ride requested again under a new event id: the traffic gives every request a new ride',
    'riding --ride.requested--> (stay) [isOpenRide]': 'the open ride requested again under a new event id: the traffic gives every request a new ride',
  },
};

export function simulateGettaxi(_hosted: HostedApp, ctx: SimulationContext): AppSimulation {
  const { random, ids, sizes, tickMs, clock } = ctx;
  const { db } = ctx.app;
  const readModel = new SqliteGettaxiReadModel(db);
  // A taxi per ten riders, about three per km² (so ten within the match radius).
  const taxiCount = Math.max(3, Math.round(sizes.users / 10));
  const halfKm = Math.max(1, Math.sqrt(taxiCount / 3) / 2);
  const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
  const clamp = (p: LatLon): LatLon => ({
    lat: round6(Math.min(CENTER.lat + halfKm * KM_LAT, Math.max(CENTER.lat - halfKm * KM_LAT, p.lat))),
    lon: round6(Math.min(CENTER.lon + halfKm * KM_LON, Math.max(CENTER.lon - halfKm * KM_LON, p.lon))),
  });
  const anywhere = (): LatLon => clamp({
    lat: CENTER.lat + (2 * random() - 1) * halfKm * KM_LAT, lon: CENTER.lon + (2 * random() - 1) * halfKm * KM_LON,
  });
  const toward = (from: LatLon, to: LatLon, km: number): LatLon => {
    const f = Math.min(1, km / Math.max(1e-9, haversineKm(from, to)));
    return clamp({ lat: from.lat + (to.lat - from.lat) * f, lon: from.lon + (to.lon - from.lon) * f });
  };
  const roam = (p: LatLon, km: number): LatLon => {
    const a = random() * 2 * Math.PI;
    return clamp({ lat: p.lat + Math.sin(a) * km * KM_LAT, lon: p.lon + Math.cos(a) * km * KM_LON });
  };

  const taxis: Taxi[] = Array.from({ length: taxiCount }, (_, i) => ({ taxiId: `taxi_${i}`, ...anywhere(), offDutyUntil: 0, job: null }));
  const byId = new Map(taxis.map((x) => [x.taxiId, x]));
  const riders = new Map<number, LatLon>();
  const open = new Map<string, Ride>();
  const rides = new Map<string, Ride>();
  let waiting: Ride[] = [];
  const doubleBooked: string[] = [];
  const malformed = { taxi: new Set<string>(), user: new Set<string>() };
  let weatherDue = clock.now();
  let cityEvent = false;
  /** A second event, in the match's region, called off a few minutes after it is announced. */
  let paradeCancel: { readonly region: string; readonly due: number } | undefined;

  const event = (topic: string, key: string, fields: Record<string, unknown>, at: string): SimRecord =>
    ({ topic, key, value: JSON.stringify({ id: ids.next(), key, at, ...fields }) });

  /** What the taxis' apps learn from the ride service: which waiting rides got a taxi, or none. */
  const learn = (): void => {
    waiting = waiting.filter((ride) => {
      const seen = readModel.ride(ride.rideId);
      if (seen?.status === 'cancelled') {
        ride.status = 'cancelled';
        if (open.get(ride.userId) === ride) open.delete(ride.userId);
        return false;
      }
      if (seen?.status !== 'matched' || !seen.taxiId) return true;
      const taxi = byId.get(seen.taxiId)!;
      ride.status = 'matched';
      ride.taxiId = taxi.taxiId;
      if (taxi.job) doubleBooked.push(`${taxi.taxiId} matched to ${ride.rideId} while on ${taxi.job.ride.rideId}`);
      else taxi.job = { ride, to: ride.at };
      return false;
    });
  };

  const rider = (): [string, LatLon] => {
    const i = skewed(sizes.users, random, 1.2);
    const at = roam(riders.get(i) ?? anywhere(), 0.05 * random());
    riders.set(i, at);
    return [`user_${i}`, at];
  };

  /** Riders' apps report while a ride is on (waiting, or in the taxi), else seldom. */
  const whereIs = (taxi: Taxi, iso: string): SimRequest => {
    const ride = taxi.job?.ride;
    const [userId, at] = ride ? [ride.userId, ride.status === 'picked_up' ? { lat: taxi.lat, lon: taxi.lon } : ride.at] : rider();
    return userPosition(userId, at, iso);
  };

  const userPosition = (userId: string, at: LatLon, iso: string): SimRequest =>
    ({ method: 'POST', url: `/gettaxi/users/${userId}/position`, body: { ...at, at: iso }, as: caller.user(userId), expect: 202 });

  /** A ride asked for; now and then twice at once (a double tap), or again while one is open. */
  const request = (iso: string): SimRequest[] => {
    const [userId, at] = rider();
    const already = open.get(userId);
    if (already && random() < 0.8) return [userPosition(userId, at, iso)];
    return random() < 0.1 ? [ask(userId, at), ask(userId, at)] : [ask(userId, at)];
  };

  /**
   * Now and then two riders on either side of a cell border ask at once: both cells' matchers know
   * the same nearest taxi, both propose it, and the taxi rejects the proposal that reaches it second
   * (the stale-knowledge race of matcherMachine.ts, which a lone request never provokes).
   */
  const acrossBorder = (iso: string): SimRequest[] => {
    const i = skewed(sizes.users, random, 1.2);
    const j = skewed(sizes.users, random, 1.2);
    const [a, b] = [`user_${i}`, `user_${j}`];
    if (i === j || open.has(a) || open.has(b)) return request(iso);
    const p = riders.get(i) ?? anywhere();
    const border = Math.round(p.lat / settings.cellDeg) * settings.cellDeg;
    const south = clamp({ lat: border - 0.0001, lon: p.lon });
    const north = clamp({ lat: border + 0.0001, lon: p.lon });
    riders.set(i, south);
    riders.set(j, north);
    return [ask(a, south), ask(b, north)];
  };

  /** A ride asked for; the ride service answers its id and the surge it quoted, which the fare will use. */
  const ask = (userId: string, at: LatLon): SimRequest => ({
    method: 'POST', url: '/gettaxi/rides', body: { userId, ...at }, as: caller.user(userId), expect: 202,
    then: ({ body }) => {
      const ride: Ride = { rideId: body.rideId, userId, at, surge: body.surge, status: 'requested', taxiId: null, trace: [] };
      rides.set(ride.rideId, ride);
      waiting.push(ride);
      if (!open.has(userId)) open.set(userId, ride);
    },
  });

  const drive = (taxi: Taxi, atMs: number, iso: string): SimRequest => {
    const { taxiId } = taxi;
    const job = taxi.job;
    const report = (available: boolean): SimRequest =>
      ({ method: 'POST', url: `/gettaxi/taxis/${taxiId}/position`, body: { lat: taxi.lat, lon: taxi.lon, available, at: iso }, as: caller.taxi(taxiId), expect: 202 });
    const passenger = (kind: 'pickup' | 'dropoff', ride: Ride): SimRequest =>
      ({ method: 'POST', url: `/gettaxi/rides/${ride.rideId}/${kind}`, body: { taxiId, lat: taxi.lat, lon: taxi.lon, at: iso }, as: caller.taxi(taxiId), expect: 202 });
    if (!job) {
      if (atMs >= taxi.offDutyUntil && random() < 0.01) taxi.offDutyUntil = atMs + 60_000 + random() * 240_000;
      Object.assign(taxi, roam(taxi, ROAM_KM * (0.2 + random())));
      return report(atMs >= taxi.offDutyUntil);
    }
    const { ride } = job;
    const arrived = haversineKm(taxi, job.to) <= DRIVE_KM;
    Object.assign(taxi, toward(taxi, job.to, DRIVE_KM));
    if (ride.status === 'matched' && arrived) {
      ride.status = 'picked_up';
      ride.trace.push([taxi.lat, taxi.lon, atMs]);
      job.to = toward(taxi, roam(taxi, 4), 1 + 3 * random());
      return passenger('pickup', ride);
    }
    if (ride.status === 'picked_up') ride.trace.push([taxi.lat, taxi.lon, atMs]);
    // The dropoff is reported once the ride service shows the pickup (else it would wait for it).
    if (ride.status === 'picked_up' && arrived && readModel.ride(ride.rideId)?.status === 'picked_up') {
      ride.status = 'completed';
      taxi.job = null;
      taxi.offDutyUntil = 0;
      if (open.get(ride.userId) === ride) open.delete(ride.userId);
      return passenger('dropoff', ride);
    }
    return report(false);
  };

  const feeds = (until: number, iso: string): SimRecord[] => {
    const out: SimRecord[] = [];
    if (!cityEvent) {
      cityEvent = true;
      const region = cellOf(anywhere(), settings.cellDeg);
      const startsAt = new Date(until + 15 * 60_000).toISOString();
      const endsAt = new Date(until + 45 * 60_000).toISOString();
      out.push(event(t.events.name, region, { type: 'city_event.scheduled', region, eventId: 'sim_match', name: 'Match', startsAt, endsAt, attendance: 20_000 }, iso));
      out.push(event(t.events.name, region, { type: 'city_event.scheduled', region, eventId: 'sim_parade', name: 'Parade', startsAt, endsAt, attendance: 5_000 }, iso));
      paradeCancel = { region, due: until + 5 * 60_000 };
    }
    if (paradeCancel && until >= paradeCancel.due) {
      const { region } = paradeCancel;
      paradeCancel = undefined;
      out.push(event(t.events.name, region, { type: 'city_event.cancelled', region, eventId: 'sim_parade' }, iso));
    }
    if (until >= weatherDue) {
      weatherDue = until + 10 * 60_000;
      const region = cellOf(anywhere(), settings.cellDeg);
      const condition = (['clear', 'rain', 'snow', 'storm'] as const)[Math.floor(random() * 4)];
      out.push(event(t.weather.name, region, { type: 'weather.reported', region, condition }, iso));
    }
    return out;
  };

  const malformedRecord = (iso: string): SimRecord => {
    const n = malformed.taxi.size + malformed.user.size + 1;
    const taxi = n % 2 === 0;
    const key = taxi ? `taxi_${n}` : `user_${n}`;
    const value = n % 3 === 0
      ? `{"malformed": ${n}`
      : JSON.stringify({ id: ids.next(), key, at: iso, ...(taxi ? { type: 'taxi.position_reported', taxiId: key } : { type: 'user.position_reported', userId: key }), lat: 91 + n, lon: 2.35 });
    (taxi ? malformed.taxi : malformed.user).add(value);
    return { topic: taxi ? t.taxiPosition.name : t.userPosition.name, key, value };
  };

  /** A request the edge must refuse, producing nothing. */
  const invalid = (iso: string): SimRequest => {
    const taxi = taxis[Math.floor(random() * taxis.length)];
    const [userId, at] = rider();
    const other = rides.size > 0 ? [...waiting, ...rides.values()].find((r) => r.taxiId !== null && r.taxiId !== taxi.taxiId && r.status === 'matched') : undefined;
    const asTaxi = caller.taxi(taxi.taxiId);
    const asUser = caller.user(userId);
    switch (Math.floor(random() * 7)) {
      case 0:
        return { method: 'POST', url: `/gettaxi/taxis/${taxi.taxiId}/position`, body: { lat: 91, lon: at.lon, at: iso }, as: asTaxi, expect: 400 };
      case 1:
        return { method: 'POST', url: '/gettaxi/rides', body: { userId, lat: at.lat }, as: asUser, expect: 400 };
      case 2:
        return { method: 'POST', url: `/gettaxi/rides/ride_unknown_${ids.next()}/pickup`, body: { taxiId: taxi.taxiId, at: iso }, as: asTaxi, expect: 400 };
      case 3:
        // Another taxi's ride: refused as a conflict, whatever state it is in by now.
        return other && readModel.ride(other.rideId)?.status === 'matched'
          ? { method: 'POST', url: `/gettaxi/rides/${other.rideId}/pickup`, body: { taxiId: taxi.taxiId, at: iso }, as: asTaxi, expect: 409 }
          : { method: 'POST', url: `/gettaxi/users/${userId}/position`, body: { ...at, at: new Date(Date.parse(iso) + 60_000).toISOString() }, as: asUser, expect: 400 };
      case 4:
        return { method: 'POST', url: `/gettaxi/users/${userId}/position`, body: `{"lat": ${at.lat}, `, as: asUser, expect: 400 };
      case 5:
        // A driver's app reporting for another taxi (marking it unavailable, say).
        return { method: 'POST', url: `/gettaxi/taxis/${taxi.taxiId}/position`, body: { lat: at.lat, lon: at.lon, available: false, at: iso }, as: caller.taxi(`${taxi.taxiId}_x`), expect: 403 };
      default:
        return { method: 'POST', url: '/gettaxi/rides', body: { userId, ...at }, expect: 401 };
    }
  };

  function* next(until: number): Iterable<SimCall> {
    learn();
    const times = timesIn(until, tickMs, perTick(sizes.rate, tickMs, random));
    yield* feeds(until, times[0] ?? new Date(until).toISOString());
    for (const iso of times) {
      const roll = random();
      const taxi = taxis[Math.floor(random() * taxis.length)];
      if (roll < INVALID) yield invalid(iso);
      else if (roll < 0.012 + INVALID) yield* random() < 0.1 ? acrossBorder(iso) : request(iso);
      else if (roll < 0.25 && (taxi.job || random() < 0.1)) yield whereIs(taxi, iso);
      else yield drive(taxi, Date.parse(iso), iso);
    }
    for (const iso of timesIn(until, tickMs, perTick(sizes.rate * MALFORMED, tickMs, random))) yield malformedRecord(iso);
  }

  const check = (view: SimView): Invariant[] => {
    const h = history(view);
    for (const [rideId, taxiId] of h.taxiOf) {
      const seen = readModel.ride(rideId);
      if (seen?.taxiId !== taxiId) h.twoTaxis.push(`${rideId}: matched to ${taxiId}, read model ${seen?.status} with ${seen?.taxiId}`);
    }
    const wrongCost: string[] = [];
    const wrongState: string[] = [];
    let completed = 0;
    let surged = 0;
    let cancelled = 0;
    let refused = 0;
    for (const ride of rides.values()) {
      const seen = readModel.ride(ride.rideId);
      const status = seen?.status ?? 'missing';
      if (seen?.reason?.includes('already has an open ride')) refused++;
      // The taxis' reports are the truth of a ride from its match on; before, matched or not.
      const allowed = ride.status === 'requested' ? ['matched', 'cancelled'] : [ride.status];
      if (!allowed.includes(status) || (ride.taxiId !== null && seen?.taxiId !== ride.taxiId)) {
        wrongState.push(`${ride.rideId}: ${status} with ${seen?.taxiId}, taxis reported ${ride.status} with ${ride.taxiId}`);
      }
      if (status === 'cancelled') cancelled++;
      if (status !== 'completed' || !seen) continue;
      completed++;
      if (seen.surge > 1) surged++;
      const points = ride.trace.map(([lat, lon]) => ({ lat, lon }));
      const truth = rideCost(settings.tariff, pathKm(points), (ride.trace[ride.trace.length - 1][2] - ride.trace[0][2]) / 60_000, ride.surge);
      const fromTopics = h.fare(ride.rideId, seen.taxiId!);
      if (seen.cost !== truth || fromTopics !== truth || seen.surge !== ride.surge) {
        wrongCost.push(`${ride.rideId}: ${seen.cost} at surge ${seen.surge}, topics say ${fromTopics}, truth ${truth} at ${ride.surge}`);
      }
    }
    const detail = (list: readonly string[], ok: string) => (list.length ? `${list.length}: ${list.slice(0, 3).join('; ')}` : ok);
    const taxiOverlaps = [...doubleBooked, ...overlapping(h.taxiRides)];
    const userOverlaps = overlapping(h.userRides);
    return [
      { name: 'gettaxi: no taxi on two rides at once', held: taxiOverlaps.length === 0, detail: detail(taxiOverlaps, `${h.taxiRides.size} taxis, ${h.accepted} rides accepted`) },
      { name: 'gettaxi: a ride never gets two taxis', held: h.twoTaxis.length === 0, detail: detail(h.twoTaxis, `${h.taxiOf.size} rides matched, ${h.revoked} revocations`) },
      { name: 'gettaxi: a user never has two open rides', held: userOverlaps.length === 0, detail: detail(userOverlaps, `${h.userRides.size} riders, ${refused} second requests refused`) },
      { name: 'gettaxi: every completed ride costs the fare of its trace at the surge quoted', held: wrongCost.length === 0, detail: detail(wrongCost, `${completed} completed, ${surged} at a surge above 1`) },
      { name: 'gettaxi: every ride is where its taxi took it (matched, picked up, completed) or cancelled', held: wrongState.length === 0, detail: detail(wrongState, `${rides.size} rides, ${cancelled} cancelled`) },
      deadLetteredOnce(view, APP, t.taxiPosition.name, malformed.taxi, [`${APP}.taxi`]),
      deadLetteredOnce(view, APP, t.userPosition.name, malformed.user, [`${APP}.region.repartition.${t.userPosition.name}`]),
      storedOnce(view, APP, 'the analytics store', t.taxiPosition.name, analyticsSummary(db, t.taxiPosition.name)),
      storedOnce(view, APP, 'the analytics store', t.userPosition.name, analyticsSummary(db, t.userPosition.name)),
      inFilesOnce(view, APP, 'the file sink', join(ctx.app.dataDir, 'files'), [t.userPosition.name, t.taxiPosition.name]),
    ];
  };

  const readModels = (): string => {
    const all = db.prepare('SELECT * FROM gettaxi_rides ORDER BY ride_id').all();
    const surge = db.prepare('SELECT * FROM gettaxi_surge ORDER BY region').all();
    return JSON.stringify({ rides: all, surge });
  };

  return { traffic: { next }, check, readModels, unreached: gettaxiUnreached };
}

/**
 * What went through GetTaxi's topics in a simulated run, for its invariants (gettaxiSimulation.ts):
 * who held which ride when, which taxis each ride got, and its fare replayed as the ride actor
 * computes it.
 */
import { pathKm } from '../../../actors/gettaxi/geo.js';
import { minutesBetween, rideCost } from '../../../actors/gettaxi/pricing.js';
import { gettaxiSettings as settings, gettaxiTopics as t } from '../../../config/gettaxi.js';
import type { BrokerRecord } from '../../broker/Record.js';
import type { SimView } from '../../sim/Simulation.js';

/** A ride held by a taxi or a user: taken no later than `start`, released no earlier than `end`. */
interface Hold {
  readonly id: string;
  readonly start: number;
  readonly end: number;
}

/** Pairs of holds of one owner that certainly overlapped: both taken before either was released. */
export function overlapping(holds: ReadonlyMap<string, readonly Hold[]>): string[] {
  const out: string[] = [];
  for (const [owner, list] of holds) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const [a, b] = [list[i], list[j]];
        if (Math.max(a.start, b.start) < Math.min(a.end, b.end)) out.push(`${owner} held ${a.id} and ${b.id} at once`);
      }
    }
  }
  return out;
}

type Decoded = { readonly r: BrokerRecord; readonly e: Record<string, any> };

/** What went through the topics: who held which ride when, which taxis each ride got, its fare. */
export function history(view: SimView) {
  const decoded = (topic: string, ...types: string[]): Decoded[] => {
    const out: Decoded[] = [];
    for (const r of view.records(topic)) {
      if (!r.value || !types.some((type) => r.value!.includes(`"${type}"`))) continue;
      try {
        const e = JSON.parse(r.value) as Record<string, any>;
        if (types.includes(e.type)) out.push({ r, e });
      } catch {
        // malformed: the dead-letter check deals with it
      }
    }
    return out;
  };
  const earliest = (into: Map<string, number>, key: string, ts: number) => into.set(key, Math.min(into.get(key) ?? Infinity, ts));
  const holds = (taken: Map<string, number>, released: Map<string, number>) => {
    const out = new Map<string, Hold[]>();
    for (const [k, start] of taken) {
      const [owner, id] = k.split(' ');
      if (!out.has(owner)) out.set(owner, []);
      out.get(owner)!.push({ id, start, end: released.get(k) ?? Infinity });
    }
    return out;
  };

  // A taxi takes a ride when it accepts it, and is free of it once it saw the dropoff or a revocation.
  const accepted = new Map<string, number>();
  const freed = new Map<string, number>();
  for (const { r, e } of decoded(t.dispatch.name, 'taxi.assignment_accepted')) earliest(accepted, `${e.taxiId} ${e.rideId}`, r.timestamp);
  for (const { r, e } of decoded(t.taxiPosition.name, 'taxi.passenger_dropped_off')) earliest(freed, `${e.taxiId} ${e.rideId}`, r.timestamp);
  const revocations = decoded(t.assignments.name, 'taxi.assignment_revoked');
  for (const { r, e } of revocations) earliest(freed, `${e.taxiId} ${e.rideId}`, r.timestamp);

  // A user holds a ride from its admission to the final status the rider actor reads back.
  const opened = new Map<string, number>();
  const closed = new Map<string, number>();
  const surgeOf = new Map<string, number>();
  const updates = new Map<string, Record<string, any>[]>();
  const taxiOf = new Map<string, string>();
  const twoTaxis: string[] = [];
  const ids = new Set<string>();
  for (const { r, e } of decoded(t.rideUpdates.name, 'ride.opened', 'ride.matched', 'ride.picked_up', 'ride.position_traced', 'ride.dropped_off')) {
    if (e.type === 'ride.opened') {
      earliest(opened, `${e.userId} ${e.rideId}`, r.timestamp);
      surgeOf.set(e.rideId, e.surge);
    }
    if (e.type === 'ride.matched') {
      const first = taxiOf.get(e.rideId);
      if (first === undefined) taxiOf.set(e.rideId, e.taxiId);
      else if (first !== e.taxiId) twoTaxis.push(`${e.rideId}: ${first} and ${e.taxiId}`);
    }
    // The ride actor drops an event it saw (same id) again.
    if (ids.has(e.id)) continue;
    ids.add(e.id);
    if (!updates.has(e.rideId)) updates.set(e.rideId, []);
    updates.get(e.rideId)!.push(e);
  }
  for (const { r, e } of decoded(t.rideStatus.name, 'ride.status_changed')) {
    if (e.status === 'completed' || e.status === 'cancelled') earliest(closed, `${e.userId} ${e.rideId}`, r.timestamp);
  }

  /** The fare replayed as the ride actor computes it, from what its taxi sent it. */
  const fare = (rideId: string, taxiId: string): number | null => {
    const points: Array<{ lat: number; lon: number; at: string }> = [];
    for (const e of updates.get(rideId) ?? []) {
      if (e.taxiId !== taxiId) continue;
      if (points.length === 0 && e.type === 'ride.picked_up') points.push(e as never);
      else if (points.length > 0 && e.type === 'ride.position_traced' && Date.parse(e.at) >= Date.parse(points[points.length - 1].at)) points.push(e as never);
      else if (points.length > 0 && e.type === 'ride.dropped_off') {
        points.push(e as never);
        const surge = surgeOf.get(rideId) ?? NaN;
        return rideCost(settings.tariff, pathKm(points), minutesBetween(points[0].at, e.at), surge);
      }
    }
    return null;
  };

  return {
    taxiRides: holds(accepted, freed),
    accepted: accepted.size,
    userRides: holds(opened, closed),
    taxiOf,
    twoTaxis,
    revoked: revocations.length,
    fare,
  };
}

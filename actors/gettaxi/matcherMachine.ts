/**
 * The matcher (key: a grid cell, `r_<row>_<col>`): pairs each ride requested in its cell with the
 * nearest available taxi within `matchRadiusKm`. Matching is correct under races with
 * partition-local state only — no lock, no shared table:
 *
 *   edge ──ride.requested──▶ ride_requests (key user) ──▶ RIDER (user_id)
 *     the rider admits one open ride per user: `ride.opened`, or `ride.refused` for a second one
 *   RIDER ──ride.opened / refused──▶ ride_updates (key ride) ──▶ RIDE (ride_id)
 *   RIDE ──ride.match_requested──▶ match_requests (key cell) ──▶ MATCHER (cell)
 *   TAXI ──taxi.located / departed──▶ dispatch (key cell) ──▶ MATCHER
 *     an available taxi announces itself to every cell within the radius, so the matcher of a cell
 *     knows every taxi that could serve a request made in it, including across cell borders
 *   MATCHER ──taxi.assignment_proposed──▶ taxi_assignments (key taxi) ──▶ TAXI (taxi_id)
 *     one outstanding proposal per ride, and one per taxi within this matcher
 *   TAXI ──accepted / rejected──▶ dispatch (key cell) ──▶ MATCHER
 *     the taxi is the authority: it accepts only when free, binding the ride in its own state
 *     before it reads its next event, and withdraws from every cell (`taxi.departed`)
 *   TAXI ──ride.matched──▶ ride_updates ──▶ RIDE     (then trace, pickup, dropoff: same path)
 *   MATCHER, on a rejection: the next nearest untried taxi; with none left and no proposal in
 *     flight that could still free one: `ride.unmatched` ──▶ RIDE (cancelled, with the reason)
 *   RIDE ──ride.status_changed──▶ ride_status ──(re-keyed by user)──▶ RIDER: closes the open ride
 *
 * Why the invariants hold: a taxi is on at most one ride because only its actor binds it, one event
 * at a time. A ride has at most one taxi because its matcher proposes it to one taxi at a time and
 * moves on only after a rejection; the ride actor still takes the first `ride.matched` only and
 * revokes any other (a redelivery after a crash). A user has at most one open ride because the
 * rider actor admits a request only while none is open, and frees the slot only on the ride's final
 * status. Stale knowledge (a taxi another cell just took) costs a rejection, never a double booking.
 */
import { enqueueActions, setup } from 'xstate';
import type { AssignmentProposed, DispatchEvent, MatchRequested, Out, RideUnmatched } from './events.js';
import { haversineKm } from './geo.js';
import type { GettaxiSettings } from './settings.js';

interface KnownTaxi {
  readonly lat: number;
  readonly lon: number;
  /** Event time of its last announcement, epoch ms. */
  readonly at: number;
}

export interface PendingRide {
  readonly rideId: string;
  readonly lat: number;
  readonly lon: number;
  readonly at: number;
  /** Taxis that rejected this ride. */
  readonly tried: readonly string[];
  readonly proposedTo: string | null;
}

export interface MatcherContext {
  readonly region: string;
  readonly now: number;
  readonly taxis: Readonly<Record<string, KnownTaxi>>;
  /** Rides waiting for a taxi, oldest first. */
  readonly pending: readonly PendingRide[];
  /** Rides settled here lately: a redelivered request for one of them is ignored. */
  readonly settled: readonly string[];
}

type MatcherEvent = MatchRequested | DispatchEvent;
type Emitted = Out<AssignmentProposed> | Out<RideUnmatched>;

const SETTLED_KEPT = 500;

export function createMatcherMachine(settings: GettaxiSettings) {
  return setup({
    types: {
      context: {} as MatcherContext,
      events: {} as MatcherEvent,
      input: {} as { key: string },
      emitted: {} as Emitted,
    },
    actions: {
      apply: enqueueActions(({ context, event, enqueue }) => {
        const next = step(context, event, settings);
        if (!next) return;
        const { context: after, emitted } = dispatch(next, settings);
        enqueue.assign(after);
        for (const e of emitted) enqueue.emit(e);
      }),
    },
  }).createMachine({
    id: 'matcher',
    context: ({ input }) => ({ region: input.key, now: 0, taxis: {}, pending: [], settled: [] }),
    on: {
      'ride.match_requested': { actions: 'apply' },
      'taxi.located': { actions: 'apply' },
      'taxi.departed': { actions: 'apply' },
      'taxi.assignment_accepted': { actions: 'apply' },
      'taxi.assignment_rejected': { actions: 'apply' },
    },
  });
}

/** What one event changes, before dispatching; undefined when it changes nothing. */
function step(context: MatcherContext, event: MatcherEvent, settings: GettaxiSettings): MatcherContext | undefined {
  const at = Date.parse(event.at);
  const now = Math.max(context.now, at);
  const taxis: Record<string, KnownTaxi> = {};
  for (const [id, t] of Object.entries(context.taxis)) if (t.at >= now - settings.taxiFreshMs) taxis[id] = t;
  const base = { ...context, now, taxis };
  switch (event.type) {
    case 'ride.match_requested': {
      if (context.settled.includes(event.rideId) || context.pending.some((p) => p.rideId === event.rideId)) return undefined;
      const ride: PendingRide = { rideId: event.rideId, lat: event.lat, lon: event.lon, at, tried: [], proposedTo: null };
      return { ...base, pending: [...context.pending, ride] };
    }
    case 'taxi.located':
      if ((taxis[event.taxiId]?.at ?? -Infinity) > at) return base;
      taxis[event.taxiId] = { lat: event.lat, lon: event.lon, at };
      return base;
    case 'taxi.departed':
      delete taxis[event.taxiId];
      return base;
    case 'taxi.assignment_accepted': {
      // Taken: whatever it answered, it is no longer available here.
      delete taxis[event.taxiId];
      const ride = context.pending.find((p) => p.rideId === event.rideId && p.proposedTo === event.taxiId);
      if (!ride) return base;
      return { ...base, pending: context.pending.filter((p) => p !== ride), settled: settle(context.settled, ride.rideId) };
    }
    case 'taxi.assignment_rejected': {
      delete taxis[event.taxiId];
      const pending = context.pending.map((p) =>
        p.rideId === event.rideId && p.proposedTo === event.taxiId ? { ...p, proposedTo: null, tried: [...p.tried, event.taxiId] } : p);
      return { ...base, pending };
    }
  }
}

/** Proposes a taxi to every ride waiting without one; gives up on rides nothing can serve. */
function dispatch(context: MatcherContext, settings: GettaxiSettings): { context: MatcherContext; emitted: Emitted[] } {
  const reserved = new Set(context.pending.flatMap((p) => (p.proposedTo ? [p.proposedTo] : [])));
  const emitted: Emitted[] = [];
  const pending: PendingRide[] = [];
  let settled = context.settled;
  for (const ride of context.pending) {
    if (ride.proposedTo) {
      pending.push(ride);
      continue;
    }
    const reachable = Object.entries(context.taxis)
      .filter(([id, t]) => !ride.tried.includes(id) && t.at >= ride.at - settings.taxiFreshMs)
      .map(([id, t]) => ({ id, km: haversineKm(ride, t) }))
      .filter((c) => c.km <= settings.matchRadiusKm);
    const best = reachable
      .filter((c) => !reserved.has(c.id))
      .sort((a, b) => a.km - b.km || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
    if (best) {
      reserved.add(best.id);
      pending.push({ ...ride, proposedTo: best.id });
      emitted.push({
        type: 'taxi.assignment_proposed', key: best.id, taxiId: best.id, rideId: ride.rideId, region: context.region,
        distanceKm: Math.round(best.km * 1000) / 1000,
      });
    } else if (reachable.length > 0) {
      // Every taxi in reach is proposed to another ride: wait for their answers.
      pending.push(ride);
    } else {
      const reason = ride.tried.length > 0
        ? `no available taxi within ${settings.matchRadiusKm} km accepted (${ride.tried.length} asked)`
        : `no available taxi within ${settings.matchRadiusKm} km`;
      emitted.push({ type: 'ride.unmatched', key: ride.rideId, rideId: ride.rideId, reason });
      settled = settle(settled, ride.rideId);
    }
  }
  return { context: { ...context, pending, settled }, emitted };
}

function settle(settled: readonly string[], rideId: string): string[] {
  const next = [...settled, rideId];
  return next.length > SETTLED_KEPT ? next.slice(next.length - SETTLED_KEPT) : next;
}

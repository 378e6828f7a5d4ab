/**
 * The taxi actor (key taxi_id): the single authority on whether a taxi is free. It reads the taxi's
 * own stream (`taxi_position`: positions, pickups, dropoffs, in the order the taxi sent them) and
 * the assignments proposed to it, and
 *   - accepts a proposal only in `free`, atomically in its own state: the accepted ride is bound
 *     before the next event is looked at, so a second proposal, from any matcher, is rejected;
 *   - announces itself, while available, to the matchers of every cell within the match radius
 *     (`taxi.located`), and withdraws (`taxi.departed`) when it stops being available or leaves a
 *     cell's reach. Re-announcements are throttled to every `announceMoveKm` or `announceEveryMs`;
 *   - forwards its positions to its ride between pickup and dropoff (`ride.position_traced`), and
 *     the pickup and dropoff themselves: all on the ride's key, in the taxi's order, so the ride's
 *     trace is complete when the dropoff reaches it.
 * The protocol as a whole is described in `matcherMachine.ts`.
 */
import { enqueueActions, setup } from 'xstate';
import type {
  AssignmentAccepted, AssignmentEvent, AssignmentRejected, Out, RideDroppedOff, RideMatched, RidePickedUp,
  RidePositionTraced, TaxiDeparted, TaxiLocated, TaxiReport,
} from './events.js';
import { type LatLon, cellOf, cellsWithin, haversineKm } from './geo.js';
import type { GettaxiSettings } from './settings.js';

export interface TaxiContext {
  readonly taxiId: string;
  readonly position: LatLon | null;
  /** Event time of `position`: an older report does not move the taxi. */
  readonly positionAt: string | null;
  /** The driver's own flag (off duty when false). */
  readonly driverAvailable: boolean;
  readonly rideId: string | null;
  /** Cells whose matchers hold this taxi as available. */
  readonly announcedTo: readonly string[];
  readonly announcedAt: string | null;
  readonly announcedFrom: LatLon | null;
}

type TaxiEvent = TaxiReport | AssignmentEvent;
type Emitted = Out<TaxiLocated> | Out<TaxiDeparted> | Out<AssignmentAccepted> | Out<AssignmentRejected>
  | Out<RideMatched> | Out<RidePositionTraced> | Out<RidePickedUp> | Out<RideDroppedOff>;

export function createTaxiMachine(settings: GettaxiSettings) {
  return setup({
    types: {
      context: {} as TaxiContext,
      events: {} as TaxiEvent,
      input: {} as { key: string },
      emitted: {} as Emitted,
    },
    guards: {
      canAccept: ({ context }) => context.driverAvailable && context.position !== null,
      sameRide: ({ context, event }) => 'rideId' in event && event.rideId === context.rideId,
    },
    actions: {
      move: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'taxi.position_reported') return;
        // A report older than the last one known (devices buffer and resend) changes nothing.
        if (context.positionAt !== null && Date.parse(event.at) < Date.parse(context.positionAt)) return;
        enqueue.assign({
          position: { lat: event.lat, lon: event.lon },
          positionAt: event.at,
          driverAvailable: event.available ?? context.driverAvailable,
        });
      }),
      /** Announces or withdraws the taxi as its availability and position now require. */
      announce: enqueueActions(({ context, event, enqueue }) => {
        const at = event.at;
        const available = context.driverAvailable && context.position !== null && context.rideId === null;
        const target = available && context.position ? cellsWithin(context.position, settings.matchRadiusKm, settings.cellDeg) : [];
        for (const cell of context.announcedTo) {
          if (!target.includes(cell)) enqueue.emit({ type: 'taxi.departed', key: cell, taxiId: context.taxiId });
        }
        if (!available || !context.position) {
          enqueue.assign({ announcedTo: [], announcedAt: null, announcedFrom: null });
          return;
        }
        const due = context.announcedAt === null || context.announcedFrom === null
          || target.some((c) => !context.announcedTo.includes(c))
          || Date.parse(at) - Date.parse(context.announcedAt) >= settings.announceEveryMs
          || haversineKm(context.announcedFrom, context.position) >= settings.announceMoveKm;
        if (!due) {
          enqueue.assign({ announcedTo: target });
          return;
        }
        const here = cellOf(context.position, settings.cellDeg);
        for (const cell of target) {
          enqueue.emit({ type: 'taxi.located', key: cell, taxiId: context.taxiId, ...context.position, cell: here });
        }
        enqueue.assign({ announcedTo: target, announcedAt: at, announcedFrom: context.position });
      }),
      accept: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'taxi.assignment_proposed') return;
        enqueue.assign({ rideId: event.rideId });
        enqueue.emit({ type: 'taxi.assignment_accepted', key: event.region, taxiId: context.taxiId, rideId: event.rideId });
        enqueue.emit({ type: 'ride.matched', key: event.rideId, rideId: event.rideId, taxiId: context.taxiId, ...context.position! });
      }),
      reject: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'taxi.assignment_proposed') return;
        const reason = context.rideId ? `taxi ${context.taxiId} is on ride ${context.rideId}`
          : !context.driverAvailable ? `taxi ${context.taxiId} is off duty` : `taxi ${context.taxiId} has no known position`;
        enqueue.emit({ type: 'taxi.assignment_rejected', key: event.region, taxiId: context.taxiId, rideId: event.rideId, reason });
      }),
      release: enqueueActions(({ enqueue }) => enqueue.assign({ rideId: null })),
      trace: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'taxi.position_reported' || !context.rideId) return;
        enqueue.emit({ type: 'ride.position_traced', key: context.rideId, rideId: context.rideId, taxiId: context.taxiId, lat: event.lat, lon: event.lon });
      }),
      /** Pickup and dropoff happen where the taxi says, or else where it last was. */
      milestone: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'taxi.passenger_picked_up' && event.type !== 'taxi.passenger_dropped_off') return;
        const at: LatLon = event.lat !== undefined && event.lon !== undefined ? { lat: event.lat, lon: event.lon } : context.position!;
        if (context.positionAt === null || Date.parse(event.at) >= Date.parse(context.positionAt)) {
          enqueue.assign({ position: at, positionAt: event.at });
        }
        const type = event.type === 'taxi.passenger_picked_up' ? 'ride.picked_up' : 'ride.dropped_off';
        enqueue.emit({ type, key: event.rideId, rideId: event.rideId, taxiId: context.taxiId, lat: at.lat, lon: at.lon });
      }),
    },
  }).createMachine({
    id: 'taxi',
    context: ({ input }) => ({
      taxiId: input.key,
      position: null,
      positionAt: null,
      driverAvailable: true,
      rideId: null,
      announcedTo: [],
      announcedAt: null,
      announcedFrom: null,
    }),
    initial: 'free',
    states: {
      free: {
        on: {
          'taxi.position_reported': { actions: ['move', 'announce'] },
          'taxi.assignment_proposed': [
            { guard: 'canAccept', target: 'assigned', actions: ['accept', 'announce'] },
            { actions: 'reject' },
          ],
        },
      },
      // Bound to a ride, on the way to the pickup.
      assigned: {
        on: {
          'taxi.position_reported': { actions: 'move' },
          'taxi.assignment_proposed': [
            // A proposal seen again (redelivered): the answer is the same.
            { guard: 'sameRide', actions: 'accept' },
            { actions: 'reject' },
          ],
          'taxi.assignment_revoked': { guard: 'sameRide', target: 'free', actions: ['release', 'announce'] },
          'taxi.passenger_picked_up': { guard: 'sameRide', target: 'onRide', actions: 'milestone' },
        },
      },
      onRide: {
        on: {
          'taxi.position_reported': { actions: ['move', 'trace'] },
          'taxi.assignment_proposed': { guard: ({ context, event }) => event.rideId !== context.rideId, actions: 'reject' },
          'taxi.passenger_dropped_off': { guard: 'sameRide', target: 'free', actions: ['milestone', 'release', 'announce'] },
        },
      },
    },
  });
}

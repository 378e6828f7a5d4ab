/**
 * The rider actor (key user_id): the user side of matching. It admits a requested ride only while
 * the user has no open ride (`ride.opened`); a request made meanwhile is refused (`ride.refused`,
 * and the ride ends cancelled with the reason). The slot frees when the open ride reaches a final
 * status (completed or cancelled), which comes back re-keyed by user from `ride_status`. Requests
 * of one user are in one partition, so two racing requests are seen one after the other.
 */
import { assign, emit, setup } from 'xstate';
import type { Out, RideOpened, RideRefused, RideRequested, RideStatusChanged } from './events.js';

export interface RiderContext {
  readonly userId: string;
  readonly openRideId: string | null;
  /** Rides of this user that ended lately: a redelivered request for one must not reopen it. */
  readonly closed: readonly string[];
}

type RiderEvent = RideRequested | RideStatusChanged;
type Emitted = Out<RideOpened> | Out<RideRefused>;

const CLOSED_KEPT = 20;

const facts = (e: RideRequested) => ({ rideId: e.rideId, userId: e.userId, lat: e.lat, lon: e.lon, region: e.region, surge: e.surge });

export const riderMachine = setup({
  types: {
    context: {} as RiderContext,
    events: {} as RiderEvent,
    input: {} as { key: string },
    emitted: {} as Emitted,
  },
  guards: {
    isOpenRide: ({ context, event }) => event.rideId === context.openRideId,
    wasClosed: ({ context, event }) => context.closed.includes(event.rideId),
    closesOpenRide: ({ context, event }) =>
      event.type === 'ride.status_changed' && event.rideId === context.openRideId
      && (event.status === 'completed' || event.status === 'cancelled'),
  },
  actions: {
    open: assign(({ event }) => ({ openRideId: event.rideId })),
    close: assign(({ context }) => ({
      openRideId: null,
      closed: [...context.closed, context.openRideId!].slice(-CLOSED_KEPT),
    })),
    emitOpened: emit(({ event }) => {
      const e = event as RideRequested;
      return { type: 'ride.opened' as const, key: e.rideId, ...facts(e) };
    }),
    emitRefused: emit(({ context, event }) => {
      const e = event as RideRequested;
      return { type: 'ride.refused' as const, key: e.rideId, ...facts(e), reason: `user ${e.userId} already has an open ride, ${context.openRideId}` };
    }),
  },
}).createMachine({
  id: 'rider',
  context: ({ input }) => ({ userId: input.key, openRideId: null, closed: [] }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        'ride.requested': [
          { guard: 'wasClosed' },
          { target: 'riding', actions: ['open', 'emitOpened'] },
        ],
      },
    },
    riding: {
      on: {
        'ride.requested': [
          // The open ride's own request, seen again: already admitted.
          { guard: 'isOpenRide' },
          { actions: 'emitRefused' },
        ],
        'ride.status_changed': { guard: 'closesOpenRide', target: 'idle', actions: 'close' },
      },
    },
  },
});

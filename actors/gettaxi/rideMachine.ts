/**
 * The ride actor (key ride_id): requested → matched → picked_up → completed, or cancelled (refused
 * because the user has an open ride, or no taxi could be matched). It reads `ride_updates`, where
 * every fact about the ride arrives on its key: opened or refused (rider), unmatched (matcher),
 * matched, trace, pickup and dropoff (its taxi, in the taxi's own order). Each change is emitted as
 * `ride.status_changed` to `ride_status` for the read model and the rider.
 *
 * The trace holds the taxi's positions from pickup to dropoff, by event time; the distance is the
 * sum of the haversine legs between consecutive points, and the fare is
 *   cost = (base + per-km × distance + per-minute × (dropoff − pickup)) × surge quoted at request,
 * rounded to the cent (pricing.ts). A `ride.matched` from any taxi but the first is answered with
 * `taxi.assignment_revoked`, so that a ride never keeps two taxis whatever is redelivered.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { AssignmentRevoked, MatchRequested, Out, RideStatus, RideStatusChanged, RideUpdate } from './events.js';
import { haversineKm } from './geo.js';
import { minutesBetween, rideCost } from './pricing.js';
import type { GettaxiSettings } from './settings.js';

/** [lat, lon, event time in epoch ms]. */
export type TracePoint = readonly [number, number, number];

export interface RideContext {
  readonly rideId: string;
  readonly userId: string | null;
  readonly region: string | null;
  readonly lat: number;
  readonly lon: number;
  readonly surge: number;
  readonly requestedAt: string | null;
  readonly taxiId: string | null;
  readonly pickedUpAt: string | null;
  readonly droppedOffAt: string | null;
  readonly trace: readonly TracePoint[];
  readonly lastPoint: TracePoint | null;
  readonly distanceKm: number;
  readonly durationMin: number | null;
  readonly cost: number | null;
  readonly reason: string | null;
  readonly version: number;
}

type Emitted = Out<RideStatusChanged> | Out<MatchRequested> | Out<AssignmentRevoked>;

const point = (e: { lat: number; lon: number; at: string }): TracePoint => [e.lat, e.lon, Date.parse(e.at)];

export function createRideMachine(settings: GettaxiSettings) {
  /** Adds a point to the trace (the distance counts it even past the trace's size limit). */
  const extend = (context: RideContext, p: TracePoint): Partial<RideContext> => ({
    trace: context.trace.length < settings.maxTracePoints ? [...context.trace, p] : context.trace,
    lastPoint: p,
    distanceKm: context.lastPoint
      ? context.distanceKm + haversineKm({ lat: context.lastPoint[0], lon: context.lastPoint[1] }, { lat: p[0], lon: p[1] })
      : context.distanceKm,
  });

  return setup({
    types: {
      context: {} as RideContext,
      events: {} as RideUpdate,
      input: {} as { key: string },
      emitted: {} as Emitted,
    },
    guards: {
      ourTaxi: ({ context, event }) => 'taxiId' in event && event.taxiId === context.taxiId,
      otherTaxi: ({ context, event }) => event.type === 'ride.matched' && event.taxiId !== context.taxiId,
      /** A point of our taxi not older than the last one (a late point would fold the path back). */
      nextPoint: ({ context, event }) =>
        event.type === 'ride.position_traced' && event.taxiId === context.taxiId
        && Date.parse(event.at) >= (context.lastPoint?.[2] ?? -Infinity),
    },
    actions: {
      admit: assign(({ event }) => {
        if (event.type !== 'ride.opened' && event.type !== 'ride.refused') return {};
        return {
          userId: event.userId, region: event.region, lat: event.lat, lon: event.lon, surge: event.surge, requestedAt: event.at,
          reason: event.type === 'ride.refused' ? event.reason : null,
        };
      }),
      askForTaxi: enqueueActions(({ context, enqueue }) => enqueue.emit({
        type: 'ride.match_requested', key: context.region!, rideId: context.rideId, userId: context.userId!,
        lat: context.lat, lon: context.lon, region: context.region!,
      })),
      bindTaxi: assign(({ event }) => (event.type === 'ride.matched' ? { taxiId: event.taxiId } : {})),
      noTaxi: assign(({ event }) => (event.type === 'ride.unmatched' ? { reason: event.reason } : {})),
      revoke: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'ride.matched') return;
        const reason = context.taxiId ? `ride ${context.rideId} already has taxi ${context.taxiId}` : `ride ${context.rideId} is no longer waiting for a taxi`;
        enqueue.emit({ type: 'taxi.assignment_revoked', key: event.taxiId, taxiId: event.taxiId, rideId: context.rideId, reason });
      }),
      pickUp: assign(({ context, event }) => ({ pickedUpAt: event.at, ...extend(context, point(event as { lat: number; lon: number; at: string })) })),
      trace: assign(({ context, event }) => extend(context, point(event as { lat: number; lon: number; at: string }))),
      dropOff: assign(({ context, event }) => {
        const done = { ...context, ...extend(context, point(event as { lat: number; lon: number; at: string })) };
        const durationMin = minutesBetween(context.pickedUpAt!, event.at);
        return { ...done, droppedOffAt: event.at, durationMin, cost: rideCost(settings.tariff, done.distanceKm, durationMin, context.surge) };
      }),
      report: enqueueActions(({ context, enqueue }, params: { status: RideStatus }) => {
        const { status } = params;
        const version = context.version + 1;
        enqueue.assign({ version });
        enqueue.emit({
          type: 'ride.status_changed', key: context.rideId, rideId: context.rideId, userId: context.userId ?? '',
          status, taxiId: context.taxiId, surge: context.surge, cost: context.cost, reason: context.reason,
          region: context.region ?? '', requestedAt: context.requestedAt!, pickedUpAt: context.pickedUpAt,
          droppedOffAt: context.droppedOffAt, distanceKm: status === 'completed' ? round3(context.distanceKm) : null,
          durationMin: context.durationMin === null ? null : round3(context.durationMin), tracePoints: context.trace.length, version,
        });
      }),
    },
  }).createMachine({
    id: 'ride',
    context: ({ input }) => ({
      rideId: input.key, userId: null, region: null, lat: 0, lon: 0, surge: 1, requestedAt: null, taxiId: null,
      pickedUpAt: null, droppedOffAt: null, trace: [], lastPoint: null, distanceKm: 0, durationMin: null, cost: null,
      reason: null, version: 0,
    }),
    initial: 'pending',
    // Whatever the state, a second taxi is sent back.
    on: { 'ride.matched': { guard: 'otherTaxi', actions: 'revoke' } },
    states: {
      pending: {
        on: {
          'ride.opened': { target: 'requested', actions: ['admit', report('requested'), 'askForTaxi'] },
          'ride.refused': { target: 'cancelled', actions: ['admit', report('cancelled')] },
        },
      },
      requested: {
        on: {
          'ride.matched': { target: 'matched', actions: ['bindTaxi', report('matched')] },
          'ride.unmatched': { target: 'cancelled', actions: ['noTaxi', report('cancelled')] },
        },
      },
      matched: {
        on: { 'ride.picked_up': { guard: 'ourTaxi', target: 'pickedUp', actions: ['pickUp', report('picked_up')] } },
      },
      pickedUp: {
        on: {
          'ride.position_traced': { guard: 'nextPoint', actions: 'trace' },
          'ride.dropped_off': { guard: 'ourTaxi', target: 'completed', actions: ['dropOff', report('completed')] },
        },
      },
      // Not `type: 'final'`: a finished actor would stop reading, and must still revoke stray taxis.
      completed: {},
      cancelled: {},
    },
  });
}

/** Distances and durations are reported to the metre and the 0.06 s; the fare uses them unrounded. */
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const report = (status: RideStatus) => ({ type: 'report', params: { status } }) as const;

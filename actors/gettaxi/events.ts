/**
 * GetTaxi's events (SPEC §3), each an envelope `{ id, type, key, at, ...fields }` saying what
 * happened, with the zod schema that validates it at the edge and wherever it is consumed. The
 * topic each one travels on is in `config/gettaxi.ts`; the message flow between the actors is
 * described in `matcherMachine.ts`.
 */
import { z } from 'zod';
import { envelopeFields, zodEventSchema } from '../../src/events/EventSchema.js';

export const entityId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');
export const latitude = z.number().min(-90, 'latitude must be ≥ -90').max(90, 'latitude must be ≤ 90');
export const longitude = z.number().min(-180, 'longitude must be ≥ -180').max(180, 'longitude must be ≤ 180');
const position = { lat: latitude, lon: longitude };
const iso = z.iso.datetime({ offset: true });
export const RIDE_STATUSES = ['requested', 'matched', 'picked_up', 'completed', 'cancelled'] as const;
export type RideStatus = (typeof RIDE_STATUSES)[number];
export const WEATHER_CONDITIONS = ['clear', 'rain', 'snow', 'storm'] as const;

const ev = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ ...envelopeFields, type: z.literal(type), ...shape });

// ---- From the edge: devices and feeds -----------------------------------------------------
export const userPositionReported = ev('user.position_reported', { userId: entityId, ...position });
/** `available` is the driver's own flag (on duty and free); absent when the device did not say. */
export const taxiPositionReported = ev('taxi.position_reported', { taxiId: entityId, ...position, available: z.boolean().optional() });
/** Pickup and dropoff travel on the taxi's own position stream, so they are ordered with its positions. */
export const passengerPickedUp = ev('taxi.passenger_picked_up', { taxiId: entityId, rideId: entityId, lat: latitude.optional(), lon: longitude.optional() });
export const passengerDroppedOff = ev('taxi.passenger_dropped_off', { taxiId: entityId, rideId: entityId, lat: latitude.optional(), lon: longitude.optional() });
/** `surge` is the multiplier quoted when the ride was requested: the fare uses it. */
export const rideRequested = ev('ride.requested', { rideId: entityId, userId: entityId, ...position, region: z.string(), surge: z.number().positive() });
export const weatherReported = ev('weather.reported', { region: z.string(), condition: z.enum(WEATHER_CONDITIONS), validUntil: iso.optional() });
export const cityEventScheduled = ev('city_event.scheduled', {
  region: z.string(), eventId: entityId, name: z.string().max(200), startsAt: iso, endsAt: iso, attendance: z.number().int().nonnegative(),
});
export const cityEventCancelled = ev('city_event.cancelled', { region: z.string(), eventId: entityId });

// ---- Between the actors ---------------------------------------------------------------------
const rideFacts = { rideId: entityId, userId: entityId, ...position, region: z.string(), surge: z.number().positive() };
export const rideOpened = ev('ride.opened', rideFacts);
export const rideRefused = ev('ride.refused', { ...rideFacts, reason: z.string() });
export const matchRequested = ev('ride.match_requested', { rideId: entityId, userId: entityId, ...position, region: z.string() });
export const assignmentProposed = ev('taxi.assignment_proposed', { taxiId: entityId, rideId: entityId, region: z.string(), distanceKm: z.number() });
export const assignmentRevoked = ev('taxi.assignment_revoked', { taxiId: entityId, rideId: entityId, reason: z.string() });
export const taxiLocated = ev('taxi.located', { taxiId: entityId, ...position, cell: z.string() });
export const taxiDeparted = ev('taxi.departed', { taxiId: entityId });
export const assignmentAccepted = ev('taxi.assignment_accepted', { taxiId: entityId, rideId: entityId });
export const assignmentRejected = ev('taxi.assignment_rejected', { taxiId: entityId, rideId: entityId, reason: z.string() });
export const rideUnmatched = ev('ride.unmatched', { rideId: entityId, reason: z.string() });
export const rideMatched = ev('ride.matched', { rideId: entityId, taxiId: entityId, ...position });
export const ridePositionTraced = ev('ride.position_traced', { rideId: entityId, taxiId: entityId, ...position });
export const ridePickedUp = ev('ride.picked_up', { rideId: entityId, taxiId: entityId, ...position });
export const rideDroppedOff = ev('ride.dropped_off', { rideId: entityId, taxiId: entityId, ...position });

// ---- Outputs read by services ---------------------------------------------------------------
export const rideStatusChanged = ev('ride.status_changed', {
  rideId: entityId, userId: entityId, status: z.enum(RIDE_STATUSES), taxiId: entityId.nullable(),
  surge: z.number(), cost: z.number().nullable(), reason: z.string().nullable(), region: z.string(),
  requestedAt: iso, pickedUpAt: iso.nullable(), droppedOffAt: iso.nullable(),
  distanceKm: z.number().nullable(), durationMin: z.number().nullable(), tracePoints: z.number().int(),
  /** Increases with every change of the ride: read models keep the highest. */
  version: z.number().int().positive(),
});
export const surgeChanged = ev('surge.changed', {
  region: z.string(), surge: z.number().positive(), supply: z.number().int(), demand: z.number().int(),
  weatherBoost: z.number(), eventBoost: z.number(),
});

export type UserPositionReported = z.infer<typeof userPositionReported>;
export type TaxiPositionReported = z.infer<typeof taxiPositionReported>;
export type PassengerPickedUp = z.infer<typeof passengerPickedUp>;
export type PassengerDroppedOff = z.infer<typeof passengerDroppedOff>;
export type RideRequested = z.infer<typeof rideRequested>;
export type WeatherReported = z.infer<typeof weatherReported>;
export type CityEventScheduled = z.infer<typeof cityEventScheduled>;
export type CityEventCancelled = z.infer<typeof cityEventCancelled>;
export type RideOpened = z.infer<typeof rideOpened>;
export type RideRefused = z.infer<typeof rideRefused>;
export type MatchRequested = z.infer<typeof matchRequested>;
export type AssignmentProposed = z.infer<typeof assignmentProposed>;
export type AssignmentRevoked = z.infer<typeof assignmentRevoked>;
export type TaxiLocated = z.infer<typeof taxiLocated>;
export type TaxiDeparted = z.infer<typeof taxiDeparted>;
export type AssignmentAccepted = z.infer<typeof assignmentAccepted>;
export type AssignmentRejected = z.infer<typeof assignmentRejected>;
export type RideUnmatched = z.infer<typeof rideUnmatched>;
export type RideMatched = z.infer<typeof rideMatched>;
export type RidePositionTraced = z.infer<typeof ridePositionTraced>;
export type RidePickedUp = z.infer<typeof ridePickedUp>;
export type RideDroppedOff = z.infer<typeof rideDroppedOff>;
export type RideStatusChanged = z.infer<typeof rideStatusChanged>;
export type SurgeChanged = z.infer<typeof surgeChanged>;

export type TaxiReport = TaxiPositionReported | PassengerPickedUp | PassengerDroppedOff;
export type DispatchEvent = TaxiLocated | TaxiDeparted | AssignmentAccepted | AssignmentRejected;
export type AssignmentEvent = AssignmentProposed | AssignmentRevoked;
export type RideUpdate = RideOpened | RideRefused | RideMatched | RideUnmatched | RidePositionTraced | RidePickedUp | RideDroppedOff;
export type CityEvent = CityEventScheduled | CityEventCancelled;

/** What an actor emits: the host adds `id`, and `at` from the input event unless given. */
export type Out<E> = Omit<E, 'id' | 'at'> & { at?: string };

// ---- Topic schemas --------------------------------------------------------------------------
export const userPositionSchema = zodEventSchema(userPositionReported);
export const taxiPositionSchema = zodEventSchema(z.discriminatedUnion('type', [taxiPositionReported, passengerPickedUp, passengerDroppedOff]));
export const rideRequestsSchema = zodEventSchema(rideRequested);
export const weatherSchema = zodEventSchema(weatherReported);
export const cityEventsSchema = zodEventSchema(z.discriminatedUnion('type', [cityEventScheduled, cityEventCancelled]));
export const rideUpdatesSchema = zodEventSchema(z.discriminatedUnion('type', [
  rideOpened, rideRefused, rideMatched, rideUnmatched, ridePositionTraced, ridePickedUp, rideDroppedOff,
]));
export const matchRequestsSchema = zodEventSchema(matchRequested);
export const assignmentsSchema = zodEventSchema(z.discriminatedUnion('type', [assignmentProposed, assignmentRevoked]));
export const dispatchSchema = zodEventSchema(z.discriminatedUnion('type', [taxiLocated, taxiDeparted, assignmentAccepted, assignmentRejected]));
export const rideStatusSchema = zodEventSchema(rideStatusChanged);
export const surgePricingSchema = zodEventSchema(surgeChanged);

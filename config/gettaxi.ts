/**
 * GetTaxi's topics and settings (SPEC §2, §3). Positions are the high-volume, ephemeral data: 30
 * partitions, short retention (the analytics store keeps them). `surge_pricing` is per region and
 * may be high volume too. The internal flows of matching (match requests, assignments, dispatch,
 * ride updates) are `queuing` topics keyed by the actor that must see them in order.
 *
 * The dataset is a parameter so that a spec on a shared Kafka cluster can run on topics of its own.
 */
import {
  assignmentsSchema,
  cityEventsSchema,
  dispatchSchema,
  matchRequestsSchema,
  rideRequestsSchema,
  rideStatusSchema,
  rideUpdatesSchema,
  surgePricingSchema,
  taxiPositionSchema,
  userPositionSchema,
  weatherSchema,
} from '../actors/gettaxi/events.js';
import type { GettaxiSettings } from '../actors/gettaxi/settings.js';
import { DAY, HOUR, declareTopic } from '../src/topics/TopicDeclaration.js';

export const gettaxiSettings: GettaxiSettings = {
  cellDeg: 0.01,
  matchRadiusKm: 1,
  taxiFreshMs: 2 * 60_000,
  announceEveryMs: 60_000,
  announceMoveKm: 0.15,
  maxTracePoints: 5_000,
  surge: {
    windowMs: 5 * 60_000,
    slope: 0.5,
    max: 3,
    weatherBoost: { clear: 0, rain: 0.2, snow: 0.4, storm: 0.6 },
    eventTiers: [{ minAttendance: 50_000, boost: 1 }, { minAttendance: 10_000, boost: 0.5 }, { minAttendance: 1_000, boost: 0.2 }],
    eventMarginMs: 30 * 60_000,
  },
  tariff: { baseFare: 2.5, perKm: 1.2, perMinute: 0.3, currency: 'EUR' },
  estimateBasis: { km: 5, minutes: 15 },
};

/** Position data is ephemeral: long enough to replay an outage, no more. */
export const POSITION_RETENTION_MS = 6 * HOUR;

export function gettaxiTopicsFor(dataset: string) {
  return {
    userPosition: declareTopic('tracking', dataset, 'user_position', {
      partitions: 30, key: 'user_id', retentionMs: POSITION_RETENTION_MS, schema: userPositionSchema,
      description: 'user.position_reported from the riders\' apps',
    }),
    taxiPosition: declareTopic('tracking', dataset, 'taxi_position', {
      partitions: 30, key: 'taxi_id', retentionMs: POSITION_RETENTION_MS, schema: taxiPositionSchema,
      description: 'taxi.position_reported, and the pickups and dropoffs each taxi reports, in its order',
    }),
    weather: declareTopic('etl', dataset, 'weather', {
      partitions: 3, key: 'region', retentionMs: DAY, schema: weatherSchema,
      description: 'weather.reported per region, from a weather feed',
    }),
    events: declareTopic('etl', dataset, 'events', {
      partitions: 3, key: 'region', retentionMs: 30 * DAY, schema: cityEventsSchema,
      description: 'city_event.scheduled / cancelled per region (concerts, matches)',
    }),
    rideRequests: declareTopic('queuing', dataset, 'ride_requests', {
      partitions: 12, key: 'user_id', retentionMs: 7 * DAY, schema: rideRequestsSchema,
      description: 'ride.requested, with the surge quoted to the rider',
    }),
    rideUpdates: declareTopic('queuing', dataset, 'ride_updates', {
      partitions: 30, key: 'ride_id', retentionMs: DAY, schema: rideUpdatesSchema,
      description: 'what happens to a ride: opened or refused, matched or not, trace, pickup, dropoff',
    }),
    matchRequests: declareTopic('queuing', dataset, 'match_requests', {
      partitions: 12, key: 'region', retentionMs: DAY, schema: matchRequestsSchema,
      description: 'ride.match_requested, to the matcher of the request\'s cell',
    }),
    assignments: declareTopic('queuing', dataset, 'taxi_assignments', {
      partitions: 12, key: 'taxi_id', retentionMs: DAY, schema: assignmentsSchema,
      description: 'assignments proposed to a taxi, and revoked',
    }),
    dispatch: declareTopic('queuing', dataset, 'dispatch', {
      partitions: 30, key: 'region', retentionMs: DAY, schema: dispatchSchema,
      description: 'to the matchers and regions of a cell: available taxis around it, and the taxis\' replies',
    }),
    rideStatus: declareTopic('streaming', dataset, 'ride_status', {
      partitions: 12, key: 'ride_id', retentionMs: 30 * DAY, schema: rideStatusSchema,
      description: 'ride.status_changed: every change of a ride, with its fare once completed',
    }),
    surgePricing: declareTopic('streaming', dataset, 'surge_pricing', {
      partitions: 30, key: 'region', retentionMs: DAY, schema: surgePricingSchema,
      description: 'surge.changed: the multiplier of a region, when it moves',
    }),
  } as const;
}

export type GettaxiTopics = ReturnType<typeof gettaxiTopicsFor>;

/** The dataset the topics were declared for: the application's name. */
export const datasetOf = (topics: GettaxiTopics): string => topics.rideStatus.name.split('.')[1];

export const gettaxiTopics: GettaxiTopics = gettaxiTopicsFor('gettaxi');

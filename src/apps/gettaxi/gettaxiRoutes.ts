/**
 * GetTaxi's edge services (SPEC §3): the user and taxi position services, the ride service, the
 * pickup and dropoff reports of the taxis, and the taxi cost service. They validate, then produce
 * events; the status and estimate queries read the read model only. Invalid input — coordinates out
 * of range or not numbers, times in the future by the injected clock, unknown rides — is a 400 with
 * the reason and nothing is produced; a pickup or dropoff the ride's state does not allow is a 409.
 *
 * Who may call (docs/security.md): a user reports its own position and asks rides for itself; a
 * taxi (the driver's app) reports its own position, pickups and dropoffs (the body's `taxiId` is
 * the token's subject, or left out); a ride is seen by its rider and its taxi only; any user asks
 * for an estimate.
 */
import { z } from 'zod';
import { type RideStatus, entityId, latitude, longitude } from '../../../actors/gettaxi/events.js';
import { cellOf } from '../../../actors/gettaxi/geo.js';
import { rideCost } from '../../../actors/gettaxi/pricing.js';
import type { GettaxiSettings } from '../../../actors/gettaxi/settings.js';
import { type GettaxiTopics, gettaxiSettings, gettaxiTopics } from '../../../config/gettaxi.js';
import type { Producer } from '../../broker/Broker.js';
import type { Clock } from '../../clock/Clock.js';
import type { IdSource } from '../../ids/IdSource.js';
import { HttpError, badRequest, notFound } from '../../http/HttpError.js';
import type { HttpApp } from '../../http/createHttpApp.js';
import type { TopicDeclaration } from '../../topics/TopicDeclaration.js';
import { type AccessRule, requireSubject } from '../../http/auth/index.js';
import type { GettaxiReadModel, RideView } from './GettaxiReadModel.js';

export interface GettaxiServices {
  readonly producer: Producer;
  readonly readModel: GettaxiReadModel;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly topics?: GettaxiTopics;
  readonly settings?: GettaxiSettings;
  /** How long a report waits for a ride's state to reach the read model (it trails the log). */
  readonly visibilityWaitMs?: number;
}

const at = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional();
const userPosition = z.object({ lat: latitude, lon: longitude, at });
const taxiPosition = z.object({ lat: latitude, lon: longitude, available: z.boolean().optional(), at });
const rideRequest = z.object({ userId: entityId, lat: latitude, lon: longitude });
const taxiReport = z.object({ taxiId: entityId, lat: latitude.optional(), lon: longitude.optional(), at })
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), { message: 'lat and lon go together' });
/** A coordinate in the query string: present, a plain decimal number (not 1e3, 0x10, Infinity), in range. */
const decimal = z.string({ error: 'is required' }).trim().min(1, 'is required')
  .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)$/, { error: (issue) => `must be a decimal number, not ${JSON.stringify(issue.input)}` })
  .transform(Number);
const estimateQuery = z.object({ lat: decimal.pipe(latitude), lon: decimal.pipe(longitude) });
const ofUser = { params: z.object({ userId: entityId }) };
const ofTaxi = { params: z.object({ taxiId: entityId }) };
const ofRide = { params: z.object({ rideId: entityId }) };

const asPathUser = { auth: { roles: ['user'], subject: { param: 'userId' } } } satisfies { auth: AccessRule };
const asPathTaxi = { auth: { roles: ['taxi'], subject: { param: 'taxiId' } } } satisfies { auth: AccessRule };
const asBodyUser = { auth: { roles: ['user'], subject: { body: 'userId' } } } satisfies { auth: AccessRule };
const asBodyTaxi = { auth: { roles: ['taxi'], subject: { body: 'taxiId' } } } satisfies { auth: AccessRule };
const riderOrTaxi = { auth: { roles: ['user', 'taxi'], subject: { resource: 'the ride\'s rider or its taxi' } } } satisfies { auth: AccessRule };
const anyUser = { auth: { roles: ['user'], subject: 'any' } } satisfies { auth: AccessRule };

/** What a report needs of the ride, and the state it may still be in on its way there. */
const REPORTS = {
  pickup: { type: 'taxi.passenger_picked_up', needs: 'matched', passing: 'requested' },
  dropoff: { type: 'taxi.passenger_dropped_off', needs: 'picked_up', passing: 'matched' },
} as const satisfies Record<string, { type: string; needs: RideStatus; passing: RideStatus }>;

export function gettaxiRoutes(app: HttpApp, services: GettaxiServices): HttpApp {
  const { producer, readModel, clock, ids } = services;
  const t = services.topics ?? gettaxiTopics;
  const settings = services.settings ?? gettaxiSettings;
  const waitMs = services.visibilityWaitMs ?? 1_000;

  const publish = async (topic: TopicDeclaration, key: string, event: Record<string, unknown>, when?: string) => {
    const envelope = { id: ids.next(), key, at: eventTime(when), ...event };
    topic.schema.parse(envelope);
    await producer.send([{ topic: topic.name, key, value: JSON.stringify(envelope) }]);
  };

  /** The event time: the device's, normalised to UTC, never in the future; else now. */
  const eventTime = (when?: string): string => {
    const now = clock.now();
    if (when === undefined) return new Date(now).toISOString();
    const ms = Date.parse(when);
    if (ms > now) throw badRequest(`at ${when} is in the future (server time ${new Date(now).toISOString()})`);
    return new Date(ms).toISOString();
  };

  const sleep = () => new Promise<void>((resolve) => clock.setTimeout(resolve, 20));

  /** The ride, once it is in the state the report needs (waiting a little while it gets there). */
  const rideFor = async (rideId: string, taxiId: string, report: (typeof REPORTS)[keyof typeof REPORTS]): Promise<RideView> => {
    const deadline = clock.now() + waitMs;
    for (;;) {
      const ride = readModel.ride(rideId);
      // A ride that does not exist is not waited for: a report comes after the match, which the
      // read model has seen by then.
      const waiting = ride !== undefined && ride.status === report.passing;
      if (!waiting || clock.now() >= deadline) {
        if (!ride) throw badRequest(`ride ${rideId} does not exist`);
        if (ride.taxiId !== null && ride.taxiId !== taxiId) throw conflict(`ride ${rideId} is assigned to taxi ${ride.taxiId}, not ${taxiId}`);
        if (ride.status !== report.needs) throw conflict(`ride ${rideId} is ${ride.status}; the ${report === REPORTS.pickup ? 'pickup' : 'dropoff'} needs it ${report.needs}`);
        return ride;
      }
      await sleep();
    }
  };

  app.post('/gettaxi/users/:userId/position', { schema: { ...ofUser, body: userPosition }, config: asPathUser }, async (req, reply) => {
    const { userId } = req.params;
    const body = req.body;
    await publish(t.userPosition, userId, { type: 'user.position_reported', userId, lat: body.lat, lon: body.lon }, body.at);
    return reply.code(202).send({ userId, region: cellOf(body, settings.cellDeg) });
  });
  app.post('/gettaxi/taxis/:taxiId/position', { schema: { ...ofTaxi, body: taxiPosition }, config: asPathTaxi }, async (req, reply) => {
    const { taxiId } = req.params;
    const body = req.body;
    await publish(t.taxiPosition, taxiId, { type: 'taxi.position_reported', taxiId, lat: body.lat, lon: body.lon, available: body.available }, body.at);
    return reply.code(202).send({ taxiId, region: cellOf(body, settings.cellDeg) });
  });
  app.post('/gettaxi/rides', { schema: { body: rideRequest }, config: asBodyUser }, async (req, reply) => {
    const body = req.body;
    const region = cellOf(body, settings.cellDeg);
    // The surge is quoted now, from the read model, and the fare will use it.
    const surge = readModel.surge(region)?.surge ?? 1;
    const rideId = `ride_${ids.next()}`;
    await publish(t.rideRequests, body.userId, { type: 'ride.requested', rideId, userId: body.userId, lat: body.lat, lon: body.lon, region, surge });
    // The quote goes back with the ride's id: the rider sees the surge the fare will use.
    return reply.code(202).send({ rideId, region, surge });
  });
  app.get('/gettaxi/rides/:rideId', { schema: ofRide, config: riderOrTaxi }, async (req) => {
    const { rideId } = req.params;
    const ride = readModel.ride(rideId);
    if (!ride) throw notFound(`ride ${rideId} does not exist`);
    requireSubject(req, [ride.userId, ride.taxiId], `ride ${rideId} is seen by its rider and its taxi only`);
    return rideBody(ride);
  });
  for (const kind of ['pickup', 'dropoff'] as const) {
    app.post(`/gettaxi/rides/:rideId/${kind}`, { schema: { ...ofRide, body: taxiReport }, config: asBodyTaxi }, async (req, reply) => {
      const { rideId } = req.params;
      const body = req.body;
      const when = eventTime(body.at);
      await rideFor(rideId, body.taxiId, REPORTS[kind]);
      await publish(t.taxiPosition, body.taxiId, { type: REPORTS[kind].type, taxiId: body.taxiId, rideId, lat: body.lat, lon: body.lon }, when);
      return reply.code(202).send({ rideId });
    });
  }
  app.get('/gettaxi/estimate', { schema: { querystring: estimateQuery }, config: anyUser }, async (req) => {
    const region = cellOf(req.query, settings.cellDeg);
    const surge = readModel.surge(region)?.surge ?? 1;
    const { km, minutes } = settings.estimateBasis;
    return { region, surge, estimate: rideCost(settings.tariff, km, minutes, surge) };
  });
  return app;
}

function rideBody(ride: RideView): Record<string, unknown> {
  return {
    rideId: ride.rideId,
    status: ride.status,
    ...(ride.taxiId !== null ? { taxiId: ride.taxiId } : {}),
    surge: ride.surge,
    ...(ride.cost !== null ? { cost: ride.cost, distanceKm: ride.distanceKm, durationMin: ride.durationMin } : {}),
    ...(ride.reason !== null ? { reason: ride.reason } : {}),
  };
}

const conflict = (reason: string) => new HttpError(409, reason);

/**
 * GetTaxi's edge services (SPEC §3): the user and taxi position services, the ride service, the
 * pickup and dropoff reports of the taxis, and the taxi cost service. They validate, then produce
 * events; the status and estimate queries read the read model only. Invalid input — coordinates out
 * of range or not numbers, times in the future by the injected clock, unknown rides — is a 400 with
 * the reason and nothing is produced; a pickup or dropoff the ride's state does not allow is a 409.
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
import type { Router } from '../../http/Router.js';
import { validate } from '../../http/validate.js';
import type { TopicDeclaration } from '../../topics/TopicDeclaration.js';
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

/** What a report needs of the ride, and the state it may still be in on its way there. */
const REPORTS = {
  pickup: { type: 'taxi.passenger_picked_up', needs: 'matched', passing: 'requested' },
  dropoff: { type: 'taxi.passenger_dropped_off', needs: 'picked_up', passing: 'matched' },
} as const satisfies Record<string, { type: string; needs: RideStatus; passing: RideStatus }>;

export function gettaxiRoutes(router: Router, services: GettaxiServices): Router {
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

  const report = (kind: keyof typeof REPORTS) => async (req: { params: Readonly<Record<string, string>>; body: unknown }) => {
    const rideId = validate(entityId, req.params.rideId, 'rideId');
    const body = validate(taxiReport, req.body);
    const when = eventTime(body.at);
    await rideFor(rideId, body.taxiId, REPORTS[kind]);
    await publish(t.taxiPosition, body.taxiId, { type: REPORTS[kind].type, taxiId: body.taxiId, rideId, lat: body.lat, lon: body.lon }, when);
    return { status: 202, body: { rideId } };
  };

  return router
    .post('/gettaxi/users/:userId/position', async (req) => {
      const userId = validate(entityId, req.params.userId, 'userId');
      const body = validate(userPosition, req.body);
      await publish(t.userPosition, userId, { type: 'user.position_reported', userId, lat: body.lat, lon: body.lon }, body.at);
      return { status: 202, body: { userId, region: cellOf(body, settings.cellDeg) } };
    })
    .post('/gettaxi/taxis/:taxiId/position', async (req) => {
      const taxiId = validate(entityId, req.params.taxiId, 'taxiId');
      const body = validate(taxiPosition, req.body);
      await publish(t.taxiPosition, taxiId, { type: 'taxi.position_reported', taxiId, lat: body.lat, lon: body.lon, available: body.available }, body.at);
      return { status: 202, body: { taxiId, region: cellOf(body, settings.cellDeg) } };
    })
    .post('/gettaxi/rides', async (req) => {
      const body = validate(rideRequest, req.body);
      const region = cellOf(body, settings.cellDeg);
      // The surge is quoted now, from the read model, and the fare will use it.
      const surge = readModel.surge(region)?.surge ?? 1;
      const rideId = `ride_${ids.next()}`;
      await publish(t.rideRequests, body.userId, { type: 'ride.requested', rideId, userId: body.userId, lat: body.lat, lon: body.lon, region, surge });
      return { status: 202, body: { rideId } };
    })
    .get('/gettaxi/rides/:rideId', (req) => {
      const rideId = validate(entityId, req.params.rideId, 'rideId');
      const ride = readModel.ride(rideId);
      if (!ride) throw notFound(`ride ${rideId} does not exist`);
      return { status: 200, body: rideBody(ride) };
    })
    .post('/gettaxi/rides/:rideId/pickup', report('pickup'))
    .post('/gettaxi/rides/:rideId/dropoff', report('dropoff'))
    .get('/gettaxi/estimate', (req) => {
      const point = { lat: coordinate(req.query, 'lat', latitude), lon: coordinate(req.query, 'lon', longitude) };
      const region = cellOf(point, settings.cellDeg);
      const surge = readModel.surge(region)?.surge ?? 1;
      const { km, minutes } = settings.estimateBasis;
      return { status: 200, body: { region, surge, estimate: rideCost(settings.tariff, km, minutes, surge) } };
    });
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

/** A coordinate from the query string: present, a plain decimal number, in range. */
function coordinate(query: URLSearchParams, name: 'lat' | 'lon', schema: z.ZodNumber): number {
  const raw = query.get(name);
  if (raw === null || raw.trim() === '') throw badRequest(`${name} is required`);
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw.trim())) throw badRequest(`${name} must be a decimal number, not ${JSON.stringify(raw)}`);
  return validate(schema, Number(raw), name);
}

const conflict = (reason: string) => new HttpError(409, reason);

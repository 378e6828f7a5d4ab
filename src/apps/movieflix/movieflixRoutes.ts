/**
 * MovieFlix's edge services (SPEC §3): the video position service validates a player's report and
 * produces it to `show_position` keyed by user; the resuming, profile and recommendation services
 * read the read model. Invalid input is a 400 with the reason, and then nothing is produced.
 *
 * Who may call (docs/security.md): a user reports positions for itself (the body's `userId` is the
 * token's subject, or left out) and the video position service (`service`) for any user; a user
 * reads its own resume points, recommendations and profile.
 */
import { z } from 'zod';
import type { Catalog } from '../../../actors/movieflix/catalog.js';
import { MAX_DURATION_SEC, entityId, episodeId } from '../../../actors/movieflix/events.js';
import type { PopularityScores } from '../../../actors/movieflix/recommend.js';
import { recommend } from '../../../actors/movieflix/recommend.js';
import { type MovieflixTopics, movieflixCatalog, movieflixSettings, movieflixTopics } from '../../../config/movieflix.js';
import type { Producer } from '../../broker/Broker.js';
import type { Clock } from '../../clock/Clock.js';
import type { IdSource } from '../../ids/IdSource.js';
import { badRequest, notFound } from '../../http/HttpError.js';
import type { HttpApp } from '../../http/createHttpApp.js';
import type { AccessRule } from '../../http/auth/index.js';
import type { MovieflixReadModel } from './MovieflixReadModel.js';

export interface MovieflixServices {
  readonly producer: Producer;
  readonly readModel: MovieflixReadModel;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** For users with no recommendations yet (cold start): popular shows. */
  readonly popularity?: () => PopularityScores;
  readonly catalog?: Catalog;
  readonly topics?: MovieflixTopics;
  readonly maxRecommendations?: number;
}

const positionReport = z
  .object({
    userId: entityId,
    showId: entityId,
    episodeId,
    positionSec: z.number().nonnegative('must be 0 or more'),
    durationSec: z.number().positive('must be more than 0').max(MAX_DURATION_SEC, `must be at most ${MAX_DURATION_SEC}`),
    at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone' }).optional(),
  })
  .refine((b) => b.positionSec <= b.durationSec, { message: 'must not exceed durationSec', path: ['positionSec'] });
const ofUser = { params: z.object({ userId: entityId }) };
const ofUserAndShow = { params: z.object({ userId: entityId, showId: entityId }) };

const reporter = { auth: { roles: ['user', 'service'], subject: { body: 'userId' }, anySubject: ['service'] } } satisfies { auth: AccessRule };
const asPathUser = { auth: { roles: ['user'], subject: { param: 'userId' } } } satisfies { auth: AccessRule };

export function movieflixRoutes(app: HttpApp, services: MovieflixServices): HttpApp {
  const { producer, readModel, clock, ids } = services;
  const t = services.topics ?? movieflixTopics;
  const catalog = services.catalog ?? movieflixCatalog;
  const limit = services.maxRecommendations ?? movieflixSettings.maxRecommendations;

  app.post('/movieflix/positions', { schema: { body: positionReport }, config: reporter }, async (req, reply) => {
    const body = req.body;
    if (!catalog.show(body.showId)) throw badRequest(`invalid body: showId: no show ${body.showId} in the catalog`);
    if (!catalog.episode(body.showId, body.episodeId)) {
      throw badRequest(`invalid body: episodeId: show ${body.showId} has no episode ${body.episodeId}`);
    }
    const now = clock.now();
    const atMs = body.at === undefined ? now : Date.parse(body.at);
    if (atMs > now) throw badRequest(`invalid body: at: ${body.at} is in the future (now ${new Date(now).toISOString()})`);
    const at = new Date(atMs).toISOString();
    const envelope = {
      id: ids.next(), type: 'movieflix.position_recorded', key: body.userId, at,
      userId: body.userId, showId: body.showId, episodeId: body.episodeId,
      positionSec: body.positionSec, durationSec: body.durationSec,
    };
    t.showPosition.schema.parse(envelope);
    await producer.send([{ topic: t.showPosition.name, key: body.userId, value: JSON.stringify(envelope) }]);
    return reply.code(202).send({ id: envelope.id, at });
  });
  app.get('/movieflix/users/:userId/resume/:showId', { schema: ofUserAndShow, config: asPathUser }, async (req) => {
    const { userId, showId } = req.params;
    const point = readModel.resume(userId, showId);
    if (!point) throw notFound(`${userId} has no position in ${showId}`);
    return point;
  });
  app.get('/movieflix/users/:userId/recommendations', { schema: ofUser, config: asPathUser }, async (req) => {
    const stored = readModel.recommendations(req.params.userId);
    // A user the viewer actor has not seen yet gets what is popular.
    const items = stored?.items ?? recommend([], catalog, (services.popularity ?? (() => readModel.popularity()))(), limit);
    return { items };
  });
  app.get('/movieflix/users/:userId/profile', { schema: ofUser, config: asPathUser }, async (req) => {
    const { userId } = req.params;
    const shows = readModel.profile(userId).map((s) => ({ ...s, title: catalog.title(s.showId) }));
    const ids = (status: string) => shows.filter((s) => s.status === status).map((s) => s.showId);
    return { userId, shows, liked: ids('liked'), disliked: ids('disliked'), abandoned: ids('abandoned'), watching: ids('watching') };
  });
  return app;
}

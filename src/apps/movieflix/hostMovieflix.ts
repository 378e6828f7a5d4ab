/**
 * MovieFlix wired to its adapters: the SQLite read model, the SQLite analytics sink on
 * `show_position` (the analytics store, speed layer's history), the file sink of the same topic in
 * object-store layout under `<data>/files` (the slow layer: `kastor batch show-popularity` reads it),
 * and the popularity job as a background service.
 * `KASTOR_MOVIEFLIX_DISLIKE_AFTER_MS` overrides how long a dropped show waits to count as disliked.
 */
import { join } from 'node:path';
import { FileSink } from '../../../adapters/sinks/FileSink.js';
import { SqliteAnalyticsSink } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteMovieflixReadModel } from '../../../adapters/sqlite/SqliteMovieflixReadModel.js';
import { type MovieflixSettings, movieflixCatalog, movieflixSettings, movieflixTopics as t } from '../../../config/movieflix.js';
import type { AppContext, HostedApp } from '../AppModule.js';
import { fileSinkRotation } from '../fileSinkRotation.js';
import { PopularityJob } from './PopularityJob.js';
import { movieflixApp } from './movieflixApp.js';
import { movieflixRoutes } from './movieflixRoutes.js';

export function hostMovieflix(ctx: AppContext): HostedApp {
  const settings = movieflixSettingsFrom(ctx.env);
  const readModel = new SqliteMovieflixReadModel(ctx.db, ctx.readDb);
  const analytics = new SqliteAnalyticsSink({ name: 'movieflix.analytics', topics: [t.showPosition.name], db: ctx.db });
  const files = new FileSink({
    name: 'movieflix.files', root: join(ctx.dataDir, 'files'), topics: [t.showPosition.name],
    db: ctx.db, clock: ctx.clock, logger: ctx.logger, rotateIntervalMs: fileSinkRotation(ctx.env),
  });
  const popularity = new PopularityJob({
    analytics: readModel, store: readModel, catalog: movieflixCatalog, clock: ctx.clock, topic: t.showPosition.name,
    intervalMs: settings.popularityIntervalMs, windowMs: settings.popularityWindowMs,
    completeRatio: settings.completeRatio, logger: ctx.logger,
  });
  const current = () => popularity.current();
  return {
    definition: movieflixApp({ readModel, popularity: current, stages: [analytics, files], settings }),
    readModel,
    routes: (app) => movieflixRoutes(app, {
      producer: ctx.producer, readModel, clock: ctx.clock, ids: ctx.ids, popularity: current,
      maxRecommendations: settings.maxRecommendations,
    }),
    background: [popularity],
  };
}

export function movieflixSettingsFrom(env: AppContext['env']): MovieflixSettings {
  const raw = env.KASTOR_MOVIEFLIX_DISLIKE_AFTER_MS;
  if (raw === undefined || raw === '') return movieflixSettings;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`KASTOR_MOVIEFLIX_DISLIKE_AFTER_MS must be a positive integer, not ${raw}`);
  return { ...movieflixSettings, dislikeAfterMs: ms };
}

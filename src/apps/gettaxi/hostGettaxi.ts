/**
 * GetTaxi wired to its SQLite read model, with the SQLite analytics sink keeping every position
 * (users' and taxis', pickups and dropoffs included) before and during the rides, and the file sink
 * of the same topics in object-store layout under `<data>/files` (the slow layer).
 */
import { join } from 'node:path';
import { FileSink } from '../../../adapters/sinks/FileSink.js';
import { SqliteAnalyticsSink } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteGettaxiReadModel } from '../../../adapters/sqlite/SqliteGettaxiReadModel.js';
import { gettaxiTopics } from '../../../config/gettaxi.js';
import type { AppContext, HostedApp } from '../AppModule.js';
import { fileSinkRotation } from '../fileSinkRotation.js';
import { gettaxiApp } from './gettaxiApp.js';
import { gettaxiRoutes } from './gettaxiRoutes.js';

export function hostGettaxi(ctx: AppContext): HostedApp {
  const readModel = new SqliteGettaxiReadModel(ctx.db, ctx.readDb);
  const analytics = new SqliteAnalyticsSink({
    name: 'gettaxi.analytics',
    topics: [gettaxiTopics.userPosition.name, gettaxiTopics.taxiPosition.name],
    db: ctx.db,
  });
  const files = new FileSink({
    name: 'gettaxi.files', root: join(ctx.dataDir, 'files'),
    topics: [gettaxiTopics.userPosition.name, gettaxiTopics.taxiPosition.name],
    db: ctx.db, clock: ctx.clock, logger: ctx.logger, rotateIntervalMs: fileSinkRotation(ctx.env),
  });
  return {
    definition: gettaxiApp({ readModel, stages: [analytics, files] }),
    readModel,
    routes: (app) => gettaxiRoutes(app, { producer: ctx.producer, readModel, clock: ctx.clock, ids: ctx.ids }),
  };
}

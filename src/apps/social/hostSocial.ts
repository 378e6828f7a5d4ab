/** MySocialMedia as a process hosts it: the actors, the SQLite read model and the edge services. */
import { SqliteSocialReadModel } from '../../../adapters/sqlite/SqliteSocialReadModel.js';
import type { AppContext, HostedApp } from '../AppModule.js';
import { socialApp } from './socialApp.js';
import { socialRoutes } from './socialRoutes.js';

export function hostSocial(ctx: AppContext): HostedApp {
  const readModel = new SqliteSocialReadModel(ctx.db, ctx.readDb);
  return {
    definition: socialApp(readModel),
    readModel,
    routes: (app) => socialRoutes(app, { producer: ctx.producer, readModel, clock: ctx.clock, ids: ctx.ids }),
  };
}

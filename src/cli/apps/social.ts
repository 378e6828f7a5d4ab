/** MySocialMedia wired to its SQLite read model. */
import { socialApp } from '../../apps/social/socialApp.js';
import { socialRoutes } from '../../apps/social/socialRoutes.js';
import { SqliteSocialReadModel } from '../../../adapters/sqlite/SqliteSocialReadModel.js';
import type { AppContext, HostedApp } from '../apps.js';

export function socialHosted(ctx: AppContext): HostedApp {
  const readModel = new SqliteSocialReadModel(ctx.db, ctx.readDb);
  return {
    definition: socialApp(readModel),
    routes: (app) => socialRoutes(app, { producer: ctx.producer, readModel, clock: ctx.clock, ids: ctx.ids }),
  };
}

export const socialDefinition = () => socialApp();

/**
 * The applications a process can host, wired to their adapters. This is the edge: the one place
 * besides the container that imports adapters.
 */
import type { Producer } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import type { IdSource } from '../ids/IdSource.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import type { Router } from '../http/Router.js';
import { socialApp } from '../apps/social/socialApp.js';
import { socialRoutes } from '../apps/social/socialRoutes.js';
import { SqliteSocialReadModel } from '../../adapters/sqlite/SqliteSocialReadModel.js';
import type { SqliteDatabase } from '../../adapters/sqlite/SqliteStateStore.js';

export interface AppContext {
  /** The state database: read models write here, in the commit transaction. */
  readonly db: SqliteDatabase;
  /** A second connection to it, for queries. */
  readonly readDb: SqliteDatabase;
  readonly producer: Producer;
  readonly clock: Clock;
  readonly ids: IdSource;
}

export interface HostedApp {
  readonly definition: AppDefinition;
  routes(router: Router): void;
}

export const APPS: Readonly<Record<string, (ctx: AppContext) => HostedApp>> = {
  social: (ctx) => {
    const readModel = new SqliteSocialReadModel(ctx.db, ctx.readDb);
    return {
      definition: socialApp(readModel),
      routes: (router) => socialRoutes(router, { producer: ctx.producer, readModel, clock: ctx.clock, ids: ctx.ids }),
    };
  },
};

/** App definitions without read models, for topic planning. */
export const APP_DEFINITIONS: Readonly<Record<string, () => AppDefinition>> = {
  social: () => socialApp(),
};

export function resolveApps(names: readonly string[]): string[] {
  const wanted = names.length === 0 || names.includes('all') ? Object.keys(APPS) : [...names];
  for (const n of wanted) {
    if (!APPS[n]) throw new Error(`unknown app '${n}' (known: ${Object.keys(APPS).join(', ')}, all)`);
  }
  return wanted;
}

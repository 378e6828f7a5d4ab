/**
 * The applications kastor ships, one line each: `kastor run`, `kastor simulate`, `kastor topics`
 * and the specs find an application here and build it from its module (AppModule.ts) alone.
 */
import type { AppModule } from './AppModule.js';
import { bankModule } from './bank/index.js';
import { gettaxiModule } from './gettaxi/index.js';
import { movieflixModule } from './movieflix/index.js';
import { opsModule } from './ops/index.js';
import { socialModule } from './social/index.js';

export const APP_MODULES: Readonly<Record<string, AppModule>> = {
  social: socialModule,
  bank: bankModule,
  movieflix: movieflixModule,
  gettaxi: gettaxiModule,
  ops: opsModule,
};

/** The modules named (all of them for none or `all`), or an error naming the known ones. */
export function resolveApps(names: readonly string[]): AppModule[] {
  const wanted = names.length === 0 || names.includes('all') ? Object.keys(APP_MODULES) : [...new Set(names)];
  return wanted.map((n) => {
    const module = APP_MODULES[n];
    if (!module) throw new Error(`unknown app '${n}' (known: ${Object.keys(APP_MODULES).join(', ')}, all)`);
    return module;
  });
}

export type { AppContext, AppModule, BackgroundService, HostedApp } from './AppModule.js';

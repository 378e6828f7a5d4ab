/** MyBank (finance): alerts in real time on transactions above a user's threshold, from a CDC source. */
import type { AppModule } from '../AppModule.js';
import { bankApp } from './bankApp.js';
import { simulateBank } from './bankSimulation.js';
import { hostBank } from './hostBank.js';

export const bankModule: AppModule = {
  name: 'bank',
  definition: () => bankApp(),
  host: (ctx) => hostBank(ctx),
  // The default CDC path: the SQLite source database of the data directory.
  simulationEnv: { KASTOR_BANK_CDC: 'sqlite' },
  simulate: simulateBank,
};

/** `kastor bank seed-db`: rows for the source table, as the bank's systems would write them. */
export { seedDbCommand } from './seedDb.js';
/** Rows for the SQLite source, as seed-db writes them (the console's demo traffic writes a few). */
export { seedDb } from './seedDb.js';
export { SOURCE_FILE } from './sourceTable.js';

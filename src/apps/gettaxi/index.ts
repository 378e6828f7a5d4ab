/** GetTaxi (IoT): matching riders with close-by taxis, surge pricing, fares from the position trace. */
import type { AppModule } from '../AppModule.js';
import { gettaxiApp } from './gettaxiApp.js';
import { simulateGettaxi } from './gettaxiSimulation.js';
import { hostGettaxi } from './hostGettaxi.js';

export const gettaxiModule: AppModule = {
  name: 'gettaxi',
  definition: () => gettaxiApp(),
  host: hostGettaxi,
  // Files sealed every minute: a crash makes the sink re-read only the file it had in progress.
  simulationEnv: { KASTOR_FILE_SINK_ROTATE_MS: '60000' },
  simulate: simulateGettaxi,
};

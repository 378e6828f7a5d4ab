/** Logging and metrics aggregation: forwarders and collectors in, per-service per-minute aggregates out. */
import type { AppModule } from '../AppModule.js';
import { hostOps } from './hostOps.js';
import { opsApp } from './opsApp.js';
import { simulateOps } from './opsSimulation.js';

export const opsModule: AppModule = {
  name: 'ops',
  definition: () => opsApp(),
  host: hostOps,
  // The collector samples this process (memory, event-loop delay): wall-clock facts no seed can
  // reproduce. The simulation writes services' samples to the same topic instead, as the
  // collector does (opsSimulation.ts), and runs the log forwarder through the edge producer.
  simulationEnv: { KASTOR_OPS_COLLECTOR: 'off' },
  simulate: simulateOps,
};

/** `kastor logs forward`: the forwarder as a command of its own. */
export { type ForwardStats, forwardLogSource } from './logForwarder.js';

/** The broker contract on the `memory` adapter: a fresh, purely in-memory MemoryBroker. */
import { MemoryBroker } from '../../adapters/memory/index.js';
import { brokerContract } from './brokerContract.js';

brokerContract('memory', async () => {
  const broker = new MemoryBroker();
  return { broker, teardown: () => broker.close() };
});

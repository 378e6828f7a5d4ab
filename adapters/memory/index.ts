/** The `memory` adapter of the broker port: an in-process Kafka-like log (see MemoryBroker.ts). */
export { MemoryBroker, type MemoryBrokerOptions } from './MemoryBroker.js';
export type { MaintenanceReport } from './MemoryCluster.js';
export type { Schedule } from './PartitionStream.js';

export * from './Broker.js';
export * from './Record.js';
export * from './errors.js';
export { murmur2, partitionForKey } from './murmur2.js';

// A worker thread runs TypeScript as the CLI does (bin/kastor.mjs): tsx first, then the entry.
import { workerData } from 'node:worker_threads';
const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);

#!/usr/bin/env node
// Each node-rdkafka consumer holds libuv pool threads; a process hosts several of them.
process.env.UV_THREADPOOL_SIZE ??= '16';
const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');

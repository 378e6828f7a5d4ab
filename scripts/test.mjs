#!/usr/bin/env node
/**
 * `npm test`: the whole mocha suite. The Kafka specs run against the broker at KAFKA_BROKERS
 * (default 127.0.0.1:9092). Without one they are skipped — and said so plainly — except under
 * CI=true, where a missing broker fails the run (`.ci/run` starts one first).
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const [host, port] = brokers.split(',')[0].split(':');

const reachable = await new Promise((resolve) => {
  const socket = connect({ host, port: Number(port), timeout: 2000 });
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => { socket.destroy(); resolve(false); });
});

const notice = `
  Kafka specs NOT run: no broker at ${brokers}.
  To run them:  npm run kafka:start && npm test && npm run kafka:stop
  (needs Java 17 and Maven; the broker's jars come from Maven Central)
`;
if (!reachable && process.env.CI) {
  console.error(`CI=true but no Kafka broker at ${brokers}: the Kafka specs must run in CI.`);
  process.exit(1);
}
if (!reachable) console.log(notice);

const args = process.argv.slice(2);
// Without file arguments, the whole suite (.mocharc.json holds no spec glob, so `npx mocha FILE` runs one file).
const files = args.some((a) => a.endsWith('.ts')) ? [] : ['spec/**/*.spec.ts'];
const child = spawn(process.execPath, ['node_modules/mocha/bin/mocha.js', ...files, ...args], {
  stdio: 'inherit',
  env: { ...process.env, KAFKA_BROKERS: brokers, KASTOR_KAFKA_AVAILABLE: reachable ? '1' : '0', UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' },
});
child.on('exit', (code, signal) => {
  if (!reachable) console.log(notice);
  // A native addon that crashes takes mocha down with no summary: say so, with the signal.
  if (signal) console.error(`mocha was killed by ${signal} before it finished (a crash in a native addon, or the OOM killer)`);
  else if (code !== 0) console.error(`mocha exited with code ${code}`);
  process.exit(code ?? 1);
});

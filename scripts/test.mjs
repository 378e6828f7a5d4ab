#!/usr/bin/env node
/**
 * `npm test`: the whole mocha suite. The Kafka specs run against the broker at KAFKA_BROKERS
 * (default 127.0.0.1:9092), the CDC specs against a PostgreSQL prepared for logical replication.
 * Without them those specs are skipped — and the run ends with how many and why (the suites record
 * each skip through spec/support/skipTally.ts) — except under CI=true, where a missing service fails
 * the run (`.ci/run` starts them first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const [host, port] = brokers.split(',')[0].split(':');

const reachable = await new Promise((resolve) => {
  const socket = connect({ host, port: Number(port), timeout: 2000 });
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => { socket.destroy(); resolve(false); });
});

if (!reachable && process.env.CI) {
  console.error(`CI=true but no Kafka broker at ${brokers}: the Kafka specs must run in CI.`);
  process.exit(1);
}
if (!reachable) console.log(`\n  No Kafka broker at ${brokers}: the Kafka specs will be skipped (npm run kafka:start first to run them).\n`);

const tallyDir = mkdtempSync(join(tmpdir(), 'kastor-test-'));
const tallyFile = join(tallyDir, 'skipped.jsonl');

/** What the suites skipped for want of a service, grouped by what was missing and why. */
function skipReport() {
  let lines = [];
  try {
    lines = readFileSync(tallyFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    // No suite skipped anything.
  }
  rmSync(tallyDir, { recursive: true, force: true });
  if (lines.length === 0) return '\n  Nothing was skipped for want of a service.\n';
  const groups = new Map();
  for (const { kind, why, count } of lines) {
    const key = `${kind}\u0000${why}`;
    groups.set(key, { kind, why, count: (groups.get(key)?.count ?? 0) + count });
  }
  const total = [...groups.values()].reduce((n, g) => n + g.count, 0);
  const rows = [...groups.values()].map((g) => `    ${String(g.count).padStart(4)} ${g.kind} specs: ${g.why}`);
  return `\n  Skipped ${total} specs for want of a service:\n${rows.join('\n')}\n`;
}

// The layering first (.dependency-cruiser.cjs): a broken rule fails the run before any spec.
const layering = spawnSync(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', 'src', 'actors', 'adapters', 'config',
  '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { stdio: 'inherit' });
if (layering.status !== 0) {
  console.error('the layering rules of .dependency-cruiser.cjs are broken (above): npm test stops here');
  process.exit(1);
}

const args = process.argv.slice(2);
// Without file arguments, the whole suite (.mocharc.json holds no spec glob, so `npx mocha FILE` runs one file).
const files = args.some((a) => a.endsWith('.ts')) ? [] : ['spec/**/*.spec.ts'];
const child = spawn(process.execPath, ['node_modules/mocha/bin/mocha.js', ...files, ...args], {
  stdio: 'inherit',
  env: {
    ...process.env, KAFKA_BROKERS: brokers, KASTOR_KAFKA_AVAILABLE: reachable ? '1' : '0',
    KASTOR_SKIP_TALLY: tallyFile, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16',
  },
});
child.on('exit', (code, signal) => {
  console.log(skipReport());
  // A native addon that crashes takes mocha down with no summary: say so, with the signal.
  if (signal) console.error(`mocha was killed by ${signal} before it finished (a crash in a native addon, or the OOM killer)`);
  else if (code !== 0) console.error(`mocha exited with code ${code}`);
  process.exit(code ?? 1);
});

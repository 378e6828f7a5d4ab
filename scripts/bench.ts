/**
 * `npm run bench [-- --only host,memory] [--quick] [--profile] [--json file]`: kastor's benchmarks,
 * each against a peer measured in the same run on the same machine; the RATIOS are the result,
 * absolute figures are context. Every benchmark runs in a process of its own
 * (scripts/bench/child.ts); see BENCHMARKS.md for what each measures and the last figures.
 *
 *   host      host efficiency on the memory transport / bare XState actor.send
 *   workers   kastor run social with --workers 1 and 2 / bare XState actor.send (one thread)
 *   kafka     kastor on Kafka / raw node-rdkafka and / Kafka Streams (Java, built with Maven)
 *   memory    1M keys with passivation: peak RSS, against the same keys as live actors; then
 *             recovery on those 1M snapshots: restart → next record, restore by replay
 *             (`recovery` is another name for it)
 *   latency   HTTP → read model p50/p99, memory and kafka transports
 *   sim       simulated time / wall time of `kastor simulate all`
 *   scaleout  two instances of kastor run social on Kafka: takeover of a stopped one's partitions
 *             after SIGTERM and after kill -9 (no peer yet)
 *
 * --quick: small sizes (under two minutes in all, for CI). --profile: a V8 CPU profile of each
 * measured section (kastor's part, not the set-up or the peer) under .cpuprofile/<name>.cpuprofile;
 * summarise one with `node --import tsx scripts/bench/profileSummary.ts <file>`. The kafka and
 * latency benchmarks start the local broker (scripts/kafka.sh start --keep) if it is not running
 * and leave it running (others may be using it by then); --stop-kafka stops it at the end if this
 * run started it.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchResult, met, type Ratio } from './bench/measure.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['host', 'workers', 'kafka', 'memory', 'latency', 'sim', 'scaleout'];
/** Benchmarks measured inside another one's process. */
const ALIASES: Record<string, string> = { recovery: 'memory' };
const NEEDS_KAFKA = new Set(['kafka', 'latency', 'scaleout']);

/**
 * V8 flags a benchmark's process runs with, beyond --expose-gc (which only lets a benchmark force a
 * collection before a memory reading). The memory benchmark runs with the heap limit a deployment
 * sets (scripts/deploy/: an old generation sized to the live actors, not to the machine); it
 * measures the default heap as well, in a process of its own.
 */
export const HEAP_FLAGS: Record<string, string[]> = {
  memory: [`--max-old-space-size=${process.env.BENCH_HEAP_MB ?? 384}`],
};

function runChild(name: string, quick: boolean, profile: boolean): Promise<BenchResult> {
  const args = ['--expose-gc', ...(HEAP_FLAGS[name] ?? []), '--import', 'tsx', join(ROOT, 'scripts/bench/child.ts'), name, ...(quick ? ['--quick'] : [])];
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, UV_THREADPOOL_SIZE: '16', ...(profile ? { BENCH_PROFILE: join(ROOT, '.cpuprofile') } : {}) } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = /^BENCH_RESULT (.*)$/m.exec(stdout);
      if (code === 0 && line) resolveRun(JSON.parse(line[1]) as BenchResult);
      else reject(new Error(`benchmark ${name} exited with ${code}`));
    });
  });
}

function target(r: Ratio): string {
  const parts = [];
  if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  if (r.aim !== undefined) parts.push(`aim ${r.aim}`);
  return parts.length ? `target ${parts.join(', ')}` : '';
}

function verdict(r: Ratio): string {
  if (r.min === undefined && r.max === undefined) return '';
  return met(r) ? 'MET' : 'MISSED';
}

function print(res: BenchResult, seconds: number): void {
  const width = 78;
  console.log(`\n== ${res.name}: ${res.title}  (${seconds.toFixed(1)} s)`);
  for (const f of res.figures) console.log(`   ${f.label.padEnd(width)} ${f.value.toLocaleString('en-US')} ${f.unit}`);
  for (const r of res.ratios) console.log(` * ${r.label.padEnd(width)} ${String(r.value).padStart(8)}   ${target(r)}  ${verdict(r)}`);
  for (const n of res.notes) console.log(`   note: ${n}`);
}

function kafkaRunning(): boolean {
  return spawnSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'status'], { stdio: 'ignore' }).status === 0;
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      json: { type: 'string' },
      'stop-kafka': { type: 'boolean', default: false },
    },
  });
  const asked = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : ALL;
  const selected = [...new Set(asked.map((s) => ALIASES[s] ?? s))];
  const unknown = asked.filter((s) => !ALL.includes(s) && !(s in ALIASES));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(', ')} (have: ${ALL.join(', ')})`);
  const quick = values.quick ?? false;
  console.log(`kastor benchmarks${quick ? ' (quick)' : ''}: ${selected.join(', ')}\nmachine: ${machine()}`);

  let startedKafka = false;
  if (selected.some((s) => NEEDS_KAFKA.has(s)) && !kafkaRunning()) {
    console.log('starting the local Kafka broker (scripts/kafka.sh start --keep)');
    execFileSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'start', '--keep'], { stdio: 'inherit' });
    startedKafka = true;
  }
  const results: BenchResult[] = [];
  let failures = 0;
  const t0 = performance.now();
  try {
    for (const name of selected) {
      const t = performance.now();
      try {
        const res = await runChild(name, quick, values.profile ?? false);
        results.push(res);
        print(res, (performance.now() - t) / 1000);
      } catch (e) {
        failures++;
        console.log(`\n== ${name}: FAILED — ${(e as Error).message}`);
      }
    }
  } finally {
    if (startedKafka && values['stop-kafka']) execFileSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'stop'], { stdio: 'inherit' });
  }

  console.log(`\n== summary (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  for (const res of results) {
    for (const r of res.ratios) console.log(`   ${`${res.name}: ${r.label}`.padEnd(88)} ${String(r.value).padStart(8)}   ${target(r)}  ${verdict(r)}`);
  }
  if (values.json) {
    mkdirSync(dirname(resolve(values.json)), { recursive: true });
    writeFileSync(values.json, JSON.stringify({ machine: machine(), quick, results }, null, 2));
  }
  return failures > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

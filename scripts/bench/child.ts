/**
 * Runs ONE benchmark in its own process (`node --import tsx scripts/bench/child.ts <name> [--quick]`)
 * so that memory readings, JIT state and garbage of one never leak into another. The result goes
 * to stdout as one line `BENCH_RESULT <json>`; progress goes to stderr.
 */
import type { BenchResult } from './measure.js';

type Bench = (quick: boolean) => Promise<BenchResult>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  host: async () => (await import('./hostBench.js')).hostBench,
  workers: async () => (await import('./workersBench.js')).workersBench,
  kafka: async () => (await import('./kafkaBench.js')).kafkaBench,
  memory: async () => (await import('./memoryBench.js')).memoryBench,
  latency: async () => (await import('./latencyBench.js')).latencyBench,
  sim: async () => (await import('./simBench.js')).simBench,
  scaleout: async () => (await import('./scaleOutBench.js')).scaleOutBench,
};

export const BENCH_NAMES = Object.keys(BENCHES);

async function main(): Promise<void> {
  const [name, ...flags] = process.argv.slice(2);
  if (name === 'memory-default-heap') {
    // memoryBench's third process: the same keys under V8's default heap limit.
    const { memoryPass } = await import('./memoryBench.js');
    process.stdout.write(`DEFAULT_HEAP ${JSON.stringify(await memoryPass(Number(flags[0])))}\n`);
    return;
  }
  if (name === 'memory-changelog') {
    // memoryBench's fourth process: changelogs on, then a restore from the changelog.
    const { changelogRecovery } = await import('./memoryBench.js');
    process.stdout.write(`CHANGELOG ${JSON.stringify(await changelogRecovery(Number(flags[0])))}\n`);
    return;
  }
  if (name === 'memory-live') {
    // memoryBench's second process: the cost of live actors.
    const { memoryLive } = await import('./memoryBench.js');
    process.stdout.write(`LIVE_COST ${JSON.stringify(await memoryLive(Number(flags[0])))}\n`);
    return;
  }
  const load = BENCHES[name];
  if (!load) throw new Error(`no benchmark '${name}' (have: ${BENCH_NAMES.join(', ')})`);
  const bench = await load();
  const out = await bench(flags.includes('--quick'));
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(out)}\n`);
}

if (process.argv[1]?.endsWith('child.ts')) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack : e);
      process.exit(1);
    },
  );
}

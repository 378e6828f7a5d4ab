/**
 * Benchmark 6, simulation speed: `kastor simulate all` with 10 000 users (the CLI's default rate,
 * 50 records per simulated second per application, no faults), as `runSimulation` runs it:
 * simulated time over wall time. The target case is one simulated hour; the ratio does not depend
 * on the length once past start-up, and at the speed measured on the 2-core box (about 2x) an hour
 * would take half an hour, so the full run simulates 2 minutes and the quick one 15 seconds.
 * `BENCH_SIM_MINUTES=60 npm run bench -- --only sim` runs the whole hour. Simulated time per CPU
 * second is given beside it: on a shared box it moves much less than the wall-time ratio.
 */
import { Session } from 'node:inspector/promises';
import { APP_MODULES } from '../../src/apps/index.js';
import { runSimulation } from '../../src/cli/simulateCommand.js';
import { type BenchResult, now, result, round } from './measure.js';

export async function simBench(quick: boolean): Promise<BenchResult> {
  const durationMs = Number(process.env.BENCH_SIM_MINUTES ?? (quick ? 0.25 : 2)) * 60_000;
  const users = 10_000;
  const rate = 50;
  const out = result('sim', `Simulation speed: simulate all, ${users} users, ${durationMs / 60_000} simulated minutes`);
  const t0 = now();
  const c0 = process.cpuUsage();
  try {
    // Profiled throughout, to tell the engine's own share of the CPU from the runtime's.
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    let profile: CpuProfile;
    let report: Awaited<ReturnType<typeof runSimulation>>;
    try {
      report = await runSimulation({ apps: ['all'], seed: 1, durationMs, faults: [], sizes: { users, rate } });
    } finally {
      profile = (await session.post('Profiler.stop')).profile as unknown as CpuProfile;
      session.disconnect();
    }
    const wallMs = now() - t0;
    const share = engineShare(profile);
    const cpu = process.cpuUsage(c0);
    // Every thread of the process (V8's GC helpers too); the box's other load moves it far less
    // than the wall time.
    const cpuMs = (cpu.user + cpu.system) / 1000;
    out.figures.push(
      { label: `applications simulated (${Object.keys(APP_MODULES).join(', ')}), rate ${rate}/simulated s each`, value: Object.keys(APP_MODULES).length, unit: 'apps' },
      { label: 'simulated time / wall time (the report\'s own figure)', value: Math.round(report.speedup), unit: `× (${round(report.simulatedMs / 1000)} s in ${round(report.wallMs / 1000, 2)} s)` },
      { label: 'records generated / events processed', value: report.recordsGenerated, unit: `/ ${report.eventsProcessed}` },
      { label: 'events processed per wall second', value: Math.round(report.eventsProcessed / (wallMs / 1000)), unit: 'events/s' },
      { label: 'simulated time / CPU time (process.cpuUsage, all threads)', value: Math.round(report.simulatedMs / cpuMs), unit: `× (${round(cpuMs / 1000, 2)} CPU-s)` },
      {
        label: 'the engine\'s own share of the CPU (self time in src/sim, the apps\' traffic generators and light-my-request, of all busy samples)',
        value: round(100 * share.engine, 1), unit: `% (runtime, transport, actors, adapters and the edge\'s routes: ${round(100 * (1 - share.engine), 1)} %)`,
      },
      { label: 'peak RSS of the benchmark process (target ≤ 1024 MiB for any duration)', value: report.peakRssMiB, unit: 'MiB' },
      { label: 'invariants held', value: report.invariants.filter((i) => i.held).length, unit: `of ${report.invariants.length}${report.ok ? '' : ' — BROKEN: ' + report.invariants.filter((i) => !i.held).map((i) => i.name).join(', ')}` },
    );
    out.ratios.push({ label: 'simulated / wall time', value: Math.round(report.speedup), min: 1000 });
    out.ratios.push({ label: 'engine\'s own share of the CPU', value: round(share.engine, 3), max: 0.1 });
    out.ratios.push({ label: 'peak RSS / 1 GiB', value: round(report.peakRssMiB / 1024, 2), max: 1 });
  } catch (e) {
    out.notes.push(`the simulation failed after ${round((now() - t0) / 1000, 1)} s: ${(e as Error).message}`);
    out.ratios.push({ label: 'simulated / wall time (failed run)', value: 0, min: 1000 });
  }
  return out;
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly url: string; readonly functionName: string } }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * Of the busy samples (idle and the profiler's own left out), those whose function is the
 * simulation engine's: src/sim (scheduler, faulty broker, simulated edge, digest, checks), the
 * applications' traffic generators (src/apps/<app>/<app>Simulation.ts) and light-my-request (the
 * in-process requests). Garbage collection is shared out in proportion.
 */
function engineShare(profile: CpuProfile): { engine: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  let engine = 0;
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || ['(idle)', '(program)', '(garbage collector)'].includes(frame.functionName)) return;
    busy += us;
    if (/\/src\/sim\/|\/src\/apps\/[^/]+\/[a-z]+Simulation\.ts|\/light-my-request\//.test(frame.url)) engine += us;
  });
  return { engine: busy === 0 ? 0 : engine / busy };
}

/**
 * `kastor simulate [apps...]`: the seeded simulation under a virtual clock (src/cli/simulateCommand.ts);
 * with `--seeds 1..500` a sweep of many seeds in parallel child processes (src/sim/sweep.ts).
 */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FaultKind } from '../../sim/FaultyBroker.js';
import { sweep } from '../../sim/sweep.js';
import { APP_MODULES } from '../../apps/index.js';
import { formatReport, formatSeedFailure, formatSweep, parseFaults, parseSeeds, runSimulation } from '../simulateCommand.js';
import { type Finish, appsArgument, parseDurationOption, positiveNumber, wholeNumber } from './options.js';

interface SimulateFlags {
  readonly seed: number;
  readonly seeds?: number[];
  readonly jobs: number;
  readonly failFast: boolean;
  readonly duration: number;
  readonly faults: FaultKind[];
  readonly users: number;
  readonly rate: number;
  readonly json: boolean;
}

function faultsOption(value: string): FaultKind[] {
  try {
    return parseFaults(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

function seedsOption(value: string): number[] {
  try {
    return parseSeeds(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

export function simulateCommand(finish: Finish): Command {
  return new Command('simulate')
    .description('run seeded traffic with faults on the in-memory log under a virtual clock and check the invariants (exit 1 when one broke)')
    .addArgument(appsArgument(Object.keys(APP_MODULES)))
    .addOption(new Option('--seed <n>', 'the seed: the same seed gives the same run and digest').default(1).argParser(wholeNumber(0)))
    .addOption(new Option('--seeds <list>', 'a sweep: one run per seed, like 1..500 or 3,7,9, each in its own process').argParser(seedsOption))
    .addOption(new Option('--jobs <n>', 'seeds run in parallel in a sweep').default(availableParallelism(), 'cores').argParser(wholeNumber(1)))
    .option('--fail-fast', 'stop a sweep at the first failing seed', false)
    .addOption(new Option('--duration <time>', 'simulated time, like 30s, 15m, 1h or 1d').default(3_600_000, '1h').argParser(parseDurationOption))
    .addOption(new Option('--faults <kinds>', 'crash,drop,duplicate,pause,redeliver,reorder | all | none').default([], 'none').argParser(faultsOption))
    .addOption(new Option('--users <n>', 'simulated users').default(1000).argParser(wholeNumber(1)))
    .addOption(new Option('--rate <n>', 'requests per simulated second').default(50).argParser(positiveNumber))
    .option('--json', 'print the report as JSON', false)
    .action(async (apps: string[], flags: SimulateFlags, command: Command) => {
      // What one seed's run is, alone or in a sweep.
      const run = { apps, durationMs: flags.duration, faults: flags.faults, sizes: { users: flags.users, rate: flags.rate } };
      if (flags.seeds) {
        if (command.getOptionValueSource('seed') === 'cli') command.error('error: --seed and --seeds exclude each other: give one seed or a list.', { exitCode: 2 });
        const report = await sweep({
          ...run,
          seeds: flags.seeds,
          jobs: flags.jobs,
          failFast: flags.failFast,
          onSeed: (r) => {
            if (!r.ok && !flags.json) console.log(formatSeedFailure(r));
          },
        });
        console.log(flags.json ? JSON.stringify(report, null, 2) : formatSweep(report));
        finish(report.failed.length === 0 ? 0 : 1);
        return;
      }
      const report = await runSimulation({ ...run, seed: flags.seed });
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
      finish(report.ok ? 0 : 1);
    });
}

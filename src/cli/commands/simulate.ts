/** `kastor simulate [apps...]`: the seeded simulation under a virtual clock (src/cli/simulateCommand.ts). */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { FaultKind } from '../../sim/FaultyBroker.js';
import { SIM_MODULES, formatReport, parseFaults, runSimulation } from '../simulateCommand.js';
import { type Finish, appsArgument, parseDurationOption, positiveNumber, wholeNumber } from './options.js';

interface SimulateFlags {
  readonly seed: number;
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

export function simulateCommand(finish: Finish): Command {
  return new Command('simulate')
    .description('run seeded traffic with faults on the in-memory log under a virtual clock and check the invariants (exit 1 when one broke)')
    .addArgument(appsArgument(Object.keys(SIM_MODULES)))
    .addOption(new Option('--seed <n>', 'the seed: the same seed gives the same run and digest').default(1).argParser(wholeNumber(0)))
    .addOption(new Option('--duration <time>', 'simulated time, like 30s, 15m, 1h or 1d').default(3_600_000, '1h').argParser(parseDurationOption))
    .addOption(new Option('--faults <kinds>', 'crash,drop,duplicate,pause,redeliver,reorder | all | none').default([], 'none').argParser(faultsOption))
    .addOption(new Option('--users <n>', 'simulated users').default(1000).argParser(wholeNumber(1)))
    .addOption(new Option('--rate <n>', 'requests per simulated second').default(50).argParser(positiveNumber))
    .option('--json', 'print the report as JSON', false)
    .action(async (apps: string[], flags: SimulateFlags) => {
      const report = await runSimulation({
        apps,
        seed: flags.seed,
        durationMs: flags.duration,
        faults: flags.faults,
        sizes: { users: flags.users, rate: flags.rate },
      });
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report));
      finish(report.ok ? 0 : 1);
    });
}

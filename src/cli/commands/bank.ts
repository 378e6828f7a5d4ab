/** `kastor bank seed-db`: demo rows in the bank's SQLite source database (src/apps/bank/seedDb.ts). */
import { Command, Option } from 'commander';
import { type Finish, dataOption, wholeNumber } from './options.js';

interface SeedFlags {
  readonly data: string;
  readonly count: number;
  readonly users: number;
  readonly malformed: number;
  readonly seed: number;
}

export function bankCommand(finish: Finish, now: () => number = Date.now): Command {
  const seed = new Command('seed-db')
    .description('append demo transactions, stamped from now on, to <data>/bank-source.db for the CDC connector of `kastor run bank`')
    .addOption(dataOption())
    .addOption(new Option('--count <n>', 'well-formed rows').default(100).argParser(wholeNumber(0)))
    .addOption(new Option('--users <n>', 'users the rows are spread over (user_001...)').default(10).argParser(wholeNumber(1)))
    .addOption(new Option('--malformed <n>', 'rows the connector must dead-letter, among the good ones').default(0).argParser(wholeNumber(0)))
    .addOption(new Option('--seed <n>', 'the same seed gives the same rows').default(1).argParser(wholeNumber(0)))
    .action(async (flags: SeedFlags) => {
      const { seedDbCommand } = await import('../../apps/bank/index.js');
      console.log(seedDbCommand(flags, now()));
      finish(0);
    });
  return new Command('bank').description('MyBank tools').addCommand(seed);
}

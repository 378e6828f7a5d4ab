/** `kastor batch <job>`: the batch jobs over the file sink's sealed files (src/batch). */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { type Finish, dataOption, parseDay } from './options.js';

interface BatchFlags {
  readonly data: string;
  readonly root?: string;
  readonly out: string;
  readonly from?: string;
  readonly to?: string;
}

function jobCommand(name: string, description: string, finish: Finish): Command {
  return new Command(name)
    .description(description)
    .addOption(dataOption())
    .addOption(new Option('--root <dir>', 'root of the file sink (default: <data>/files)'))
    .addOption(new Option('--out <file>', 'where the JSON Lines go (- for stdout)').default('-'))
    .addOption(new Option('--from <day>', 'first day, YYYY-MM-DD (UTC)').argParser(parseDay))
    .addOption(new Option('--to <day>', 'last day, YYYY-MM-DD (UTC)').argParser(parseDay))
    .action(async (flags: BatchFlags) => {
      const { runBatchJob } = await import('../../batch/index.js');
      const r = await runBatchJob(name, { root: flags.root ?? join(flags.data, 'files'), out: flags.out, from: flags.from, to: flags.to });
      const { note, ...summary } = r;
      if (note !== undefined) console.error(note);
      console.error(JSON.stringify({ message: 'batch job done', ...summary }));
      finish(0);
    });
}

export function batchCommand(finish: Finish): Command {
  return new Command('batch')
    .description('batch jobs over the file sink\'s sealed files (the slow layer)')
    .addCommand(jobCommand('show-popularity', 'per show: distinct viewers and finished episodes, from MovieFlix\'s show_position files', finish));
}

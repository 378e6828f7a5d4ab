/** The `kastor` program: its commands, each in its own file here. */
import { Command } from 'commander';
import { bankCommand } from './bank.js';
import { batchCommand } from './batch.js';
import { logsCommand } from './logs.js';
import type { Finish } from './options.js';
import { runCommand } from './run.js';
import { simulateCommand } from './simulate.js';
import { tokenCommand } from './token.js';
import { topicsCommand } from './topics.js';

export function kastorProgram(finish: Finish): Command {
  const program = new Command('kastor')
    .description('an actor runtime on Kafka: XState actors fed by a partitioned log, state and outbox in SQLite')
    .addCommand(runCommand())
    .addCommand(simulateCommand(finish))
    .addCommand(logsCommand(finish))
    .addCommand(batchCommand(finish))
    .addCommand(bankCommand(finish))
    .addCommand(topicsCommand(finish))
    .addCommand(tokenCommand(finish));
  failWithUsage(program);
  return program;
}

/** Every command throws instead of exiting, and prints its own help after a usage error. */
function failWithUsage(command: Command): void {
  command.exitOverride().showHelpAfterError();
  for (const sub of command.commands) failWithUsage(sub);
}

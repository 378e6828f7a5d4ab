/**
 * The `kastor` command line: one commander command per file in ./commands (assembled in
 * ./commands/index.ts); this file turns how a command ended into the process's exit code:
 *   0  done (also `--help`),
 *   1  a fault: an invariant broke, a plan has problems, no broker answered, a fatal error,
 *   2  a usage error: unknown command or option, bad value (commander prints the command's help).
 * `kastor run` ends only on a signal or a fatal fault (src/cli/runCommand.ts).
 */
import { CommanderError } from 'commander';
import { BrokerUnreachable } from '../broker/errors.js';
import { kastorProgram } from './commands/index.js';
import { brokerUnreachableLine } from './requireBroker.js';

/** The exit code, or undefined while the command still serves (`run`). */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  let code: number | undefined;
  try {
    await kastorProgram((c) => (code = c)).parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    // commander printed the message (and the help) already.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof BrokerUnreachable) console.error(`kastor: ${brokerUnreachableLine(e)}`);
    else console.error(`kastor: ${(e as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  // Exit once stdout has drained: a piped stdout is asynchronous and exit() would cut it.
  if (code !== undefined) process.stdout.write('', () => process.exit(code));
});

/** `kastor logs forward <file|->`: a service's log lines to `logging.ops.logs` (src/apps/ops/logForwarder.ts). */
import { Command, Option } from 'commander';
import { type Transport, type Finish, brokersOption, transportOption } from './options.js';

interface ForwardFlags {
  readonly service: string;
  readonly transport: Transport;
  readonly brokers: string;
}

export function logsCommand(finish: Finish): Command {
  const forward = new Command('forward')
    .description('forward log lines (a file, or - for stdin) to logging.ops.logs, one event per line')
    .argument('<file>', 'a log file, or - for stdin')
    .addOption(new Option('--service <name>', 'the service whose logs these are (the record key)').makeOptionMandatory())
    .addOption(transportOption())
    .addOption(brokersOption())
    .action(async (file: string, flags: ForwardFlags, command: Command) => {
      if (flags.transport !== 'kafka') {
        command.error('error: logs forward needs --transport kafka (the memory transport lives inside one `kastor run` process)', { exitCode: 2 });
      }
      const { logsForwardCommand } = await import('../logsForward.js');
      const stats = await logsForwardCommand({ file, service: flags.service, transport: flags.transport, brokers: flags.brokers });
      console.error(JSON.stringify({ message: 'logs forwarded', ...stats }));
      finish(0);
    });
  return new Command('logs').description('log shipping').addCommand(forward);
}

/** `kastor logs forward <file|-> --service NAME --transport kafka [--brokers host:port]`: the ops app's log forwarder as a command. */
import { type ForwardStats, forwardLogSource } from '../apps/ops/index.js';
import { SystemClock } from '../clock/SystemClock.js';
import { nanoidSource } from '../ids/IdSource.js';
import { requireBroker } from './requireBroker.js';

export interface LogsForwardOptions {
  /** A path, or `-` for stdin. */
  readonly file: string;
  readonly service: string;
  readonly transport: 'memory' | 'kafka';
  readonly brokers?: string;
}

/** `kastor logs forward <file|-> --service NAME --transport kafka [--brokers host:port]`. */
export async function logsForwardCommand(options: LogsForwardOptions): Promise<ForwardStats> {
  if (options.transport !== 'kafka') {
    throw new Error('logs forward needs --transport kafka: the memory transport lives inside one `kastor run` process');
  }
  const brokers = options.brokers ?? '127.0.0.1:9092';
  // The producer would wait for a broker for ever: check one answers before reading any line.
  await requireBroker(brokers);
  const { KafkaBroker } = await import('../../adapters/kafka/index.js');
  const broker = new KafkaBroker({ brokers, clientId: 'kastor-logs' });
  try {
    return await forwardLogSource(options.file, { broker, clock: new SystemClock(), ids: nanoidSource, service: options.service });
  } finally {
    await broker.close();
  }
}

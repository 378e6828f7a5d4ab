/**
 * The composition root: the DI container (tsyringe) maps the ports to the adapters chosen on the
 * command line. Nothing below src/ resolves from it; it is used here, at the edge, only.
 */
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { container, type DependencyContainer } from 'tsyringe';
import type { Broker } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import { SystemClock } from '../clock/SystemClock.js';
import { type IdSource, nanoidSource } from '../ids/IdSource.js';
import type { Logger } from '../log/Logger.js';
import { createLogger } from '../log/createLogger.js';
import { Metrics } from '../metrics/Metrics.js';
import { MemoryBroker } from '../../adapters/memory/index.js';

export const TOKENS = {
  clock: Symbol('Clock'),
  ids: Symbol('IdSource'),
  logger: Symbol('Logger'),
  metrics: Symbol('Metrics'),
  broker: Symbol('Broker'),
} as const;

export interface TransportOptions {
  readonly transport: 'memory' | 'kafka';
  readonly brokers?: string;
  readonly dataDir: string;
}

export async function createContainer(options: TransportOptions): Promise<DependencyContainer> {
  const c = container.createChildContainer();
  const clock = new SystemClock();
  const logger = createLogger();
  mkdirSync(options.dataDir, { recursive: true });
  c.register<Clock>(TOKENS.clock, { useValue: clock });
  c.register<IdSource>(TOKENS.ids, { useValue: nanoidSource });
  c.register<Logger>(TOKENS.logger, { useValue: logger });
  c.register<Metrics>(TOKENS.metrics, { useValue: new Metrics({ processMetrics: true }) });
  c.register<Broker>(TOKENS.broker, { useValue: await createBroker(options, clock, logger) });
  return c;
}

async function createBroker(options: TransportOptions, clock: Clock, logger: Logger): Promise<Broker> {
  if (options.transport === 'memory') {
    // Journalled under the data directory: the embedded broker survives kill -9 like Kafka would.
    return new MemoryBroker({ clock, dir: join(options.dataDir, 'log') });
  }
  const { KafkaBroker } = await import('../../adapters/kafka/index.js');
  return new KafkaBroker({ brokers: options.brokers ?? '127.0.0.1:9092', clientId: 'kastor', logger });
}

/**
 * Where the kafka adapter reports what it cannot throw: librdkafka's `event.error` and
 * `event.log`, failed background commits, undeliverable fire-and-forget records. librdkafka
 * keeps retrying on its own (a broker down for a while is not fatal), so these are logged and
 * never thrown from an event handler.
 */
import { createLogger } from '../../src/log/createLogger.js';

export type KafkaLogFields = Readonly<Record<string, unknown>>;

export interface KafkaLogger {
  error(message: string, fields?: KafkaLogFields): void;
  warn(message: string, fields?: KafkaLogFields): void;
  info(message: string, fields?: KafkaLogFields): void;
}

/** The process's own JSON lines on stderr (pino), tagged `component: kafka`. */
export const consoleKafkaLogger: KafkaLogger = createLogger({ base: { component: 'kafka' } });

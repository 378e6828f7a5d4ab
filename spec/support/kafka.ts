/**
 * Specs against a real Kafka broker (`npm run kafka:start` boots one on 127.0.0.1:9092; set
 * KAFKA_BROKERS to use another). `describeKafka` wraps a suite so that, when the broker cannot be
 * reached, it is skipped with a note saying how to run it, except on CI (`CI` set), where the
 * suite fails: a CI run that silently skipped the Kafka specs would prove nothing.
 */
import { connect } from 'node:net';
import type { Suite } from 'mocha';
import { skipFor } from './skipTally.js';

const CONNECT_TIMEOUT_MS = 2_000;

export function kafkaBrokers(): string {
  return process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
}

/** Whether a TCP connection to the first bootstrap server opens within 2 s. */
export function kafkaAvailable(brokers: string = kafkaBrokers()): Promise<boolean> {
  const first = brokers.split(',')[0].trim();
  const cut = first.lastIndexOf(':');
  const host = cut > 0 ? first.slice(0, cut).replace(/^\[|\]$/g, '') : first;
  const port = cut > 0 ? Number(first.slice(cut + 1)) : 9092;
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

let availability: Promise<boolean> | undefined;

/**
 * Registers, in the current suite, a `before` hook that skips the suite when Kafka is not
 * reachable, or fails it on CI. Call it first thing inside a `describe` body.
 */
export function requireKafka(): void {
  before(async function () {
    this.timeout(CONNECT_TIMEOUT_MS + 1_000);
    availability ??= kafkaAvailable();
    if (await availability) return;
    const where = kafkaBrokers();
    if (process.env.CI) {
      throw new Error(
        `Kafka is not reachable at ${where} and CI is set: the Kafka specs must run on CI. ` +
          'Start a broker (`npm run kafka:start`) or point KAFKA_BROKERS at one.',
      );
    }
    skipFor(this, 'Kafka', `no broker at ${where}; run \`npm run kafka:start\` then \`npm test\`, or set KAFKA_BROKERS`);
  });
}

/** `describe` for a suite that needs a real Kafka broker (see `requireKafka`). */
export function describeKafka(title: string, body: (this: Suite) => void): Suite {
  return describe(title, function () {
    requireKafka();
    body.call(this);
  });
}

export interface LoggedLine {
  readonly level: 'error' | 'warn' | 'info';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * A logger for the kafka adapter (adapters/kafka/logger.ts's shape) that keeps every line for
 * assertions and prints errors (everything with KAFKA_LOG=1).
 */
export function recordingKafkaLogger(): {
  readonly lines: LoggedLine[];
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
} {
  const lines: LoggedLine[] = [];
  const log = (level: LoggedLine['level']) => (message: string, fields: Readonly<Record<string, unknown>> = {}) => {
    lines.push({ level, message, fields });
    if (level === 'error' || process.env.KAFKA_LOG) console.error(JSON.stringify({ level, message, ...fields }));
  };
  return { lines, error: log('error'), warn: log('warn'), info: log('info') };
}

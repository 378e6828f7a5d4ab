/**
 * Connecting and disconnecting node-rdkafka clients (Producer, KafkaConsumer), which the broker
 * port never sees. Two quirks of node-rdkafka shape this file:
 * - `connect()` fails when the first metadata request times out (broker down at start-up); the
 *   adapter keeps retrying in the background instead of failing the process.
 * - `disconnect(cb)` called while a disconnect is already running never calls `cb`; so each client
 *   is disconnected exactly once and everyone awaits that one promise.
 * librdkafka reports trouble through `event.error` and keeps retrying by itself; those events are
 * logged, never thrown (a throw from an EventEmitter handler would end the process). The exception
 * is a fatal error (kafkaErrors.ts `isFatal`): librdkafka stops retrying, the client is done for,
 * and the owner is told once through `onFatal`.
 */
import type Kafka from 'node-rdkafka';
import type { LibrdKafkaError } from 'node-rdkafka';
import type { BrokerError } from '../../src/broker/errors.js';
import { describe, errorCode, isFatal, toBrokerError } from './kafkaErrors.js';
import type { KafkaLogger } from './logger.js';

type AnyClient = Kafka.Producer | Kafka.KafkaConsumer;

/** The same complaint is logged at most once per this interval per client (with a repeat count). */
const REPEAT_INTERVAL_MS = 10_000;

export function logClientEvents(client: AnyClient, logger: KafkaLogger, clientName: string, onFatal?: (error: BrokerError) => void): void {
  // librdkafka repeats the same errors on every reconnect attempt while a broker is down.
  const seen = new Map<string, { lastLoggedAt: number; suppressed: number }>();
  let fatal = false;
  // Both client types emit `event.error`; the union of their typed `on` overloads is not callable.
  (client as Kafka.Producer).on('event.error', (err: LibrdKafkaError) => {
    const first = isFatal(err) && !fatal;
    if (first) fatal = true;
    const text = describe(err);
    const now = Date.now();
    const entry = seen.get(text);
    if (!first && entry !== undefined && now - entry.lastLoggedAt < REPEAT_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    const repeated = entry?.suppressed ?? 0;
    seen.set(text, { lastLoggedAt: now, suppressed: 0 });
    logger.error('librdkafka error', {
      client: clientName,
      code: errorCode(err),
      error: err.message,
      fatal: isFatal(err),
      ...(repeated > 0 ? { repeatedSinceLast: repeated } : {}),
    });
    if (first) onFatal?.(toBrokerError(err, { action: `kafka client ${clientName}` }));
  });
}

export interface ConnectOptions {
  readonly logger: KafkaLogger;
  readonly clientName: string;
  /** Stops the retries (the owner is closing). */
  readonly cancelled: () => boolean;
  /** Timeout of the first metadata request of one attempt. */
  readonly attemptTimeoutMs?: number;
}

/** Resolves once connected; retries with backoff until `cancelled()`; then rejects. */
export function connectWithRetry(client: AnyClient, options: ConnectOptions): Promise<void> {
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  return new Promise<void>((resolve, reject) => {
    let attempt = 0;
    const tryOnce = (): void => {
      if (options.cancelled()) {
        reject(new Error(`${options.clientName}: closed before it connected`));
        return;
      }
      attempt++;
      client.connect({ timeout: attemptTimeoutMs }, (err) => {
        if (!err) {
          if (attempt > 1) options.logger.info('connected', { client: options.clientName, attempt });
          resolve();
          return;
        }
        const delay = Math.min(5_000, 250 * 2 ** Math.min(attempt, 5));
        options.logger.warn('connect failed, retrying', {
          client: options.clientName,
          attempt,
          retryInMs: delay,
          error: describe(err),
        });
        setTimeout(tryOnce, delay);
      });
    };
    tryOnce();
  });
}

const disconnections = new WeakMap<AnyClient, Promise<void>>();

/** Disconnects the client once; later calls return the same promise. Never rejects. */
export function disconnectOnce(client: AnyClient, timeoutMs = 10_000): Promise<void> {
  let done = disconnections.get(client);
  if (done === undefined) {
    done = new Promise<void>((resolve) => {
      if (!client.isConnected()) {
        resolve();
        return;
      }
      // A hung librdkafka close must not hang the process's shutdown.
      const timer = setTimeout(resolve, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        resolve();
      };
      try {
        (client.disconnect as (cb: () => void) => unknown)(finish);
      } catch {
        finish();
      }
    });
    disconnections.set(client, done);
  }
  return done;
}

/**
 * librdkafka error codes → the broker port's error hierarchy (src/broker/errors.ts). Every
 * BrokerError built here keeps the LibrdKafkaError as `cause`; `retriable` is librdkafka's own
 * verdict where it gives one (`isRetriable`), else the transient codes listed below.
 *
 * `fatal`: librdkafka says the client cannot go on — code ERR__FATAL (-150, "Fatal error": an
 * idempotent producer fenced or out of sequence, a static consumer fenced by a newer instance) or
 * any error it marks `isFatal`. Such a BrokerError is never retriable: the process must end.
 */
import { createRequire } from 'node:module';
import Kafka from 'node-rdkafka';
import type { LibrdKafkaError } from 'node-rdkafka';
import {
  BrokerError,
  BrokerUnavailable,
  UnknownPartition,
  UnknownTopic,
} from '../../src/broker/errors.js';

export const CODES = Kafka.CODES.ERRORS;

/** Codes after which the same request can succeed later: the cluster is moving or away. */
const TRANSIENT = new Set<number>([
  CODES.ERR__TRANSPORT,
  CODES.ERR__ALL_BROKERS_DOWN,
  CODES.ERR__RESOLVE,
  CODES.ERR__TIMED_OUT,
  CODES.ERR__MSG_TIMED_OUT,
  CODES.ERR__QUEUE_FULL,
  CODES.ERR__WAIT_COORD,
  CODES.ERR__TIMED_OUT_QUEUE,
  CODES.ERR_LEADER_NOT_AVAILABLE,
  CODES.ERR_NOT_LEADER_FOR_PARTITION,
  CODES.ERR_REQUEST_TIMED_OUT,
  CODES.ERR_NETWORK_EXCEPTION,
  CODES.ERR_COORDINATOR_LOAD_IN_PROGRESS,
  CODES.ERR_COORDINATOR_NOT_AVAILABLE,
  CODES.ERR_NOT_COORDINATOR,
  CODES.ERR_NOT_ENOUGH_REPLICAS,
  CODES.ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  CODES.ERR_REBALANCE_IN_PROGRESS,
  CODES.ERR_KAFKA_STORAGE_ERROR,
  CODES.ERR_BROKER_NOT_AVAILABLE,
]);

/** Codes that say no broker could be reached at all. */
const UNREACHABLE = new Set<number>([
  CODES.ERR__TRANSPORT,
  CODES.ERR__ALL_BROKERS_DOWN,
  CODES.ERR__RESOLVE,
  CODES.ERR__TIMED_OUT,
  CODES.ERR__MSG_TIMED_OUT,
  CODES.ERR_BROKER_NOT_AVAILABLE,
]);

/**
 * node-rdkafka hands delivery-report errors to JS as a bare message ("Local: Message timed out")
 * whose code it sets to -1; the code is recovered from librdkafka's own text for each code.
 */
const codeByText: ReadonlyMap<string, number> = (() => {
  const require = createRequire(import.meta.url);
  const { create } = require('node-rdkafka/lib/error.js') as { create(code: number): { message: string } };
  const map = new Map<string, number>();
  for (const code of Object.values(CODES)) {
    const message = create(code).message;
    const cut = message.indexOf(': ');
    map.set((cut >= 0 ? message.slice(cut + 2) : message).toLowerCase(), code);
  }
  return map;
})();

export function isLibrdKafkaError(e: unknown): e is LibrdKafkaError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number';
}

export function errorCode(e: unknown): number | undefined {
  if (!isLibrdKafkaError(e)) return undefined;
  if (e.code !== -1) return e.code;
  return codeByText.get(String(e.message).toLowerCase()) ?? -1;
}

/** librdkafka gave up on the client: ERR__FATAL, or an error it marks fatal. */
export function isFatal(e: unknown): boolean {
  if (!isLibrdKafkaError(e)) return false;
  return e.isFatal === true || errorCode(e) === CODES.ERR__FATAL;
}

export function isRetriable(e: unknown): boolean {
  if (!isLibrdKafkaError(e)) return false;
  if (isFatal(e)) return false;
  return e.isRetriable === true || TRANSIENT.has(errorCode(e) ?? -1);
}

export interface ErrorContext {
  /** What the adapter was doing, e.g. "produce to orders". */
  readonly action: string;
  readonly topic?: string;
  readonly partition?: number;
}

/** Wraps whatever node-rdkafka threw or reported into a BrokerError naming the action. */
export function toBrokerError(e: unknown, context: ErrorContext): BrokerError {
  if (e instanceof BrokerError) return e;
  if (isFatal(e)) {
    return new BrokerError(`${context.action}: librdkafka fatal error, the client cannot go on: ${describe(e)}`, { fatal: true, cause: e });
  }
  const code = errorCode(e);
  const { topic, partition } = context;
  if (topic !== undefined && (code === CODES.ERR__UNKNOWN_TOPIC || code === CODES.ERR_UNKNOWN_TOPIC_OR_PART)) {
    const error = new UnknownTopic(topic);
    error.cause = e;
    return error;
  }
  if (topic !== undefined && partition !== undefined && code === CODES.ERR__UNKNOWN_PARTITION) {
    const error = new UnknownPartition(topic, partition);
    error.cause = e;
    return error;
  }
  const detail = describe(e);
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new BrokerUnavailable(`${context.action}: ${detail}`, e);
  }
  return new BrokerError(`${context.action}: ${detail}`, { retriable: isRetriable(e), cause: e });
}

export function describe(e: unknown): string {
  if (isLibrdKafkaError(e)) return `${e.message} (librdkafka code ${errorCode(e)})`;
  if (e instanceof Error) return e.message;
  return String(e);
}

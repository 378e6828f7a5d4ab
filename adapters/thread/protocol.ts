/**
 * The messages between a worker thread's `ThreadBroker` and the process's `BrokerService` (one
 * MessagePort per worker). Calls are answered by id; partitions, batches and reads are streams
 * named by ids the service hands out. Records and errors cross as plain objects (structured clone).
 */
import type { Admin, ConsumerOptions, ProducerOptions, ReadOptions, StartPosition } from '../../src/broker/Broker.js';
import {
  BrokerError,
  BrokerUnavailable,
  BrokerUnreachable,
  InvalidTopicSpec,
  ProducerClosed,
  UnknownPartition,
  UnknownTopic,
} from '../../src/broker/errors.js';
import type { BrokerRecord, OutgoingRecord, TopicPartition, TopicPartitionOffset } from '../../src/broker/Record.js';

/** Worker → service. */
export type ToService =
  | { readonly type: 'call'; readonly id: number; readonly method: CallMethod; readonly args: readonly unknown[] }
  | { readonly type: 'subscribe'; readonly partition: number; readonly start: StartPosition }
  | { readonly type: 'unsubscribe'; readonly partition: number }
  | { readonly type: 'ack'; readonly batch: number }
  | { readonly type: 'read'; readonly read: number; readonly tp: TopicPartition; readonly options?: ReadOptions }
  | { readonly type: 'read-cancel'; readonly read: number };

/** Service → worker. */
export type ToWorker =
  | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: WireError }
  | { readonly type: 'assigned'; readonly consumer: number; readonly partition: number; readonly tp: TopicPartition }
  | { readonly type: 'assignment'; readonly consumer: number; readonly tps: readonly TopicPartition[] }
  | { readonly type: 'assignments-end'; readonly consumer: number; readonly error?: WireError }
  | { readonly type: 'batch'; readonly partition: number; readonly batch: number; readonly records: readonly BrokerRecord[] }
  | { readonly type: 'batches-end'; readonly partition: number; readonly error?: WireError }
  | { readonly type: 'chunk'; readonly read: number; readonly records: readonly BrokerRecord[] }
  | { readonly type: 'read-end'; readonly read: number; readonly error?: WireError }
  | { readonly type: 'fatal'; readonly error: WireError };

/** What a worker may ask the service (arguments in order). */
export interface Calls {
  'admin.createTopics': Parameters<Admin['createTopics']>;
  'admin.deleteTopics': Parameters<Admin['deleteTopics']>;
  'admin.listTopics': [];
  'admin.describeTopic': [name: string];
  'admin.watermarks': [tp: TopicPartition];
  'admin.brokerCount': [];
  'producer.open': [producer: number, options: ProducerOptions | undefined];
  'producer.send': [producer: number, records: readonly OutgoingRecord[]];
  'producer.flush': [producer: number];
  'producer.close': [producer: number];
  'consumer.open': [consumer: number, options: ConsumerOptions];
  'consumer.commit': [consumer: number, offsets: readonly TopicPartitionOffset[]];
  'consumer.committed': [consumer: number, tps: readonly TopicPartition[]];
  'consumer.close': [consumer: number];
}
export type CallMethod = keyof Calls;

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly retriable?: boolean;
  readonly fatal?: boolean;
  readonly topic?: string;
  readonly partition?: number;
  readonly brokers?: string;
  readonly waitedMs?: number;
}

export function toWire(e: unknown): WireError {
  if (e instanceof BrokerError) {
    const extra = e as Partial<UnknownPartition & BrokerUnreachable>;
    return {
      name: e.name, message: e.message, retriable: e.retriable, fatal: e.fatal,
      topic: extra.topic, partition: extra.partition, brokers: extra.brokers, waitedMs: extra.waitedMs,
    };
  }
  const error = e instanceof Error ? e : new Error(String(e));
  return { name: error.name, message: error.message };
}

/** The error again, of the class it was thrown as where the broker port names it. */
export function fromWire(w: WireError): Error {
  switch (w.name) {
    case 'UnknownTopic':
      return new UnknownTopic(w.topic ?? '?');
    case 'UnknownPartition':
      return new UnknownPartition(w.topic ?? '?', w.partition ?? -1);
    case 'ProducerClosed':
      return new ProducerClosed();
    case 'BrokerUnavailable':
      return new BrokerUnavailable(w.message);
    case 'BrokerUnreachable':
      return new BrokerUnreachable(w.brokers ?? '?', w.waitedMs ?? 0);
    case 'InvalidTopicSpec':
      return new InvalidTopicSpec(w.message);
    default:
      if (w.retriable !== undefined) {
        return Object.assign(new BrokerError(w.message, { retriable: w.retriable, fatal: w.fatal }), { name: w.name });
      }
      return Object.assign(new Error(w.message), { name: w.name });
  }
}

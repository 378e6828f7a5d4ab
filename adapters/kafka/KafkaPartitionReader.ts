/**
 * `Broker.readPartition` of the kafka adapter (src/broker/Broker.ts): one partition read outside
 * any consumer group, for restoring actor state from a changelog. A node-rdkafka KafkaConsumer of
 * its own (config.ts `readerConfig`), assigned the partition at `from` by hand — no group join, no
 * rebalance, no commit — that consumes up to the high watermark taken before the first fetch, then
 * disconnects. The end is known three ways, whichever comes first: a record at `end - 1`, the
 * partition-EOF event, or an empty fetch with the consumer's position at `end` (compaction and
 * transaction markers can leave the last offsets without a record).
 */
import Kafka from 'node-rdkafka';
import type { LibrdKafkaError, Message } from 'node-rdkafka';
import { Observable } from 'rxjs';
import type { ReadOptions } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import type { BrokerRecord, TopicPartition } from '../../src/broker/Record.js';
import { connectWithRetry, disconnectOnce, logClientEvents } from './clientLifecycle.js';
import { type ClientSettings, consumerTopicConfig, readerConfig } from './config.js';
import type { KafkaAdmin } from './KafkaAdmin.js';
import { describe } from './kafkaErrors.js';
import type { KafkaLogger } from './logger.js';
import { toBrokerRecord } from './messages.js';

export interface PartitionReadContext {
  readonly settings: ClientSettings;
  readonly admin: KafkaAdmin;
  readonly logger: KafkaLogger;
  /** A read that makes no progress for this long fails (default 30 s). */
  readonly stallTimeoutMs?: number;
}

export function readPartition(tp: TopicPartition, options: ReadOptions, context: PartitionReadContext): Observable<readonly BrokerRecord[]> {
  return new Observable<readonly BrokerRecord[]>((subscriber) => {
    let stopped = false;
    let client: Kafka.KafkaConsumer | undefined;
    const finish = (error?: unknown): void => {
      if (stopped) return;
      stopped = true;
      const done = client ? disconnectOnce(client) : Promise.resolve();
      void done.then(() => (error === undefined ? subscriber.complete() : subscriber.error(error)));
    };
    void (async () => {
      const { low, high: end } = await context.admin.watermarks(tp);
      const from = Math.max(options.from ?? low, low);
      if (from >= end) return finish();
      const c = new Kafka.KafkaConsumer(readerConfig(context.settings), consumerTopicConfig('earliest'));
      client = c;
      logClientEvents(c, context.logger, context.settings.clientId);
      let eof = false;
      c.on('partition.eof', (e: { topic: string; partition: number; offset: number }) => {
        if (e.topic === tp.topic && e.partition === tp.partition && e.offset >= end) eof = true;
      });
      await connectWithRetry(c, { logger: context.logger, clientName: context.settings.clientId, cancelled: () => stopped });
      c.assign([{ topic: tp.topic, partition: tp.partition, offset: from }]);
      c.setDefaultConsumeTimeout(200);
      const max = Math.max(1, options.maxBatchSize ?? 10_000);
      const stallMs = context.stallTimeoutMs ?? 30_000;
      let next = from;
      let progressAt = Date.now();
      const pull = (): void => {
        if (stopped) return;
        c.consume(max, (err: LibrdKafkaError | null, messages: Message[]) => {
          if (stopped) return;
          if (err) return finish(new BrokerError(`reading ${tp.topic}/${tp.partition}: ${describe(err)}`, { retriable: true, cause: err }));
          const records = messages.filter((m) => m.topic === tp.topic && m.partition === tp.partition && m.offset < end).map(toBrokerRecord);
          if (records.length > 0) {
            next = records[records.length - 1].offset + 1;
            progressAt = Date.now();
            subscriber.next(records);
          }
          if (next >= end || eof || (records.length === 0 && positionOf(c, tp) >= end)) return finish();
          if (Date.now() - progressAt > stallMs) {
            return finish(new BrokerError(`reading ${tp.topic}/${tp.partition}: no progress for ${stallMs} ms at offset ${next} of ${end}`, { retriable: true }));
          }
          pull();
        });
      };
      pull();
    })().catch((e: unknown) => finish(e));
    return () => {
      stopped = true;
      if (client) void disconnectOnce(client);
    };
  });
}

function positionOf(client: Kafka.KafkaConsumer, tp: TopicPartition): number {
  try {
    const [p] = client.position([{ topic: tp.topic, partition: tp.partition }]);
    return typeof p?.offset === 'number' ? p.offset : -1;
  } catch {
    return -1;
  }
}

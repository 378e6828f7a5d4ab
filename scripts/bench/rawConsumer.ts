/**
 * The node-rdkafka floor of the Kafka pipeline benchmark: one plain `KafkaConsumer` in a group of
 * its own reads the topic from the beginning and throws every message away. librdkafka's defaults
 * apart from the group, no auto commit, and `auto.offset.reset=earliest`. What kastor does per
 * record on top of this (decode, actor, SQLite, outbox) is what the ratio prices.
 */
import Kafka from 'node-rdkafka';
import { now } from './measure.js';

export interface ConsumeTiming {
  readonly records: number;
  /** From subscribe (group join included) to the last record. */
  readonly elapsedMs: number;
  readonly firstRecordMs: number;
}

export async function rawConsume(brokers: string, topic: string, records: number, groupId: string): Promise<ConsumeTiming> {
  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': brokers, 'group.id': groupId, 'enable.auto.commit': false, 'client.id': 'kastor-bench-raw' },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    consumer.setDefaultConsumeTimeout(100);
    const t0 = now();
    consumer.subscribe([topic]);
    let count = 0;
    let first = NaN;
    await new Promise<void>((resolve, reject) => {
      const deadline = t0 + 600_000;
      const next = () => {
        consumer.consume(10_000, (err, messages) => {
          if (err && err.code !== Kafka.CODES.ERRORS.ERR__TIMED_OUT) return reject(err);
          if (messages.length > 0 && count === 0) first = now() - t0;
          count += messages.length;
          if (count >= records) return resolve();
          if (now() > deadline) return reject(new Error(`raw consumer read ${count} of ${records} records in 10 minutes`));
          setImmediate(next);
        });
      };
      next();
    });
    return { records: count, elapsedMs: now() - t0, firstRecordMs: first };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

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

export interface TopicContents {
  /** Records read (read_committed: aborted transactions left out). */
  readonly records: number;
  /** The last value per key. */
  readonly latest: Map<string, string>;
}

/**
 * Reads `topic` from the beginning to its end — every partition's end-of-partition reached — and
 * keeps the last value of each key: what the benchmark checks a peer's (and kastor's) emitted
 * counts with; `each` sees every keyed record in partition order. For topics nobody writes to any
 * more.
 */
export async function readToEnd(brokers: string, topic: string, groupId: string, each?: (key: string, value: string) => void, timeoutMs = 120_000): Promise<TopicContents> {
  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': brokers, 'group.id': groupId, 'enable.auto.commit': false, 'enable.partition.eof': true, 'client.id': 'kastor-bench-read' },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const metadata = await new Promise<Kafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 10_000 }, (err, data) => (err ? reject(err) : resolve(data))));
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
    if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
    // node-rdkafka emits each batch's messages and end-of-partition events in the order librdkafka
    // saw them, before the consume callback.
    const ended = new Set<number>();
    const latest = new Map<string, string>();
    let records = 0;
    consumer.on('data', (m) => {
      records++;
      ended.delete(m.partition);
      if (m.key === null || m.key === undefined || !m.value) return;
      const key = m.key.toString();
      const value = m.value.toString();
      latest.set(key, value);
      each?.(key, value);
    });
    consumer.on('partition.eof', (eof) => ended.add(eof.partition));
    consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 0 })));
    consumer.setDefaultConsumeTimeout(100);
    const deadline = now() + timeoutMs;
    while (ended.size < partitions.length) {
      await new Promise<void>((resolve, reject) =>
        consumer.consume(10_000, (err) => (err && err.code !== Kafka.CODES.ERRORS.ERR__TIMED_OUT ? reject(err) : resolve())));
      if (now() > deadline) throw new Error(`read ${records} records of ${topic} in ${timeoutMs} ms without reaching its end`);
    }
    return { records, latest };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

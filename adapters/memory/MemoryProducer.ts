/**
 * `Producer` of the `memory` adapter of the broker port (`src/broker/Broker.ts`). Records become
 * `BrokerRecord`s with offsets from their partition's high watermark and are appended through
 * `MemoryCluster.append`, which writes them to the journal (JSON Lines, see `LogJournal.ts`)
 * before they are visible and before `send` resolves.
 *
 * A whole `send` is checked before anything is written (unknown topic or partition, a record
 * without key for a compacted topic, as Kafka refuses it), so a failed send appends nothing.
 * Readers are woken through the scheduler: no consumer code runs inside `send`.
 */
import type { Producer, ProducerOptions } from '../../src/broker/Broker.js';
import { BrokerError, ProducerClosed, UnknownPartition } from '../../src/broker/errors.js';
import type { BrokerRecord, OutgoingRecord, RecordMetadata } from '../../src/broker/Record.js';
import type { MemoryCluster } from './MemoryCluster.js';
import { EMPTY_HEADERS, type PartitionLog } from './PartitionLog.js';

export class MemoryProducer implements Producer {
  private closed = false;
  private readonly confirm: boolean;

  constructor(
    private readonly cluster: MemoryCluster,
    options: ProducerOptions = {},
  ) {
    this.confirm = (options.profile ?? 'reliable') === 'reliable';
  }

  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) throw new ProducerClosed();
    this.cluster.assertOpen();
    const logs = new Array<PartitionLog>(records.length);
    for (let i = 0; i < records.length; i++) logs[i] = this.route(records[i]);

    const now = this.cluster.clock.now();
    const batches = new Map<PartitionLog, BrokerRecord[]>();
    const metadata = new Array<RecordMetadata>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const log = logs[i];
      let batch = batches.get(log);
      if (!batch) batches.set(log, (batch = []));
      const offset = log.high + batch.length;
      batch.push({
        topic: log.topic,
        partition: log.partition,
        offset,
        key: r.key,
        value: r.value,
        // Copied, so that the caller cannot change what the log holds; most records have none.
        headers: r.headers && hasAny(r.headers) ? { ...r.headers } : EMPTY_HEADERS,
        timestamp: r.timestamp ?? now,
      });
      metadata[i] = { topic: log.topic, partition: log.partition, offset: this.confirm ? offset : -1 };
    }
    for (const [log, batch] of batches) {
      try {
        this.cluster.append(log, batch);
      } catch (cause) {
        throw new BrokerError(`could not append to ${log.topic}/${log.partition}`, { retriable: true, cause });
      }
    }
    return metadata;
  }

  /** Every `send` is complete when it resolves: nothing is buffered. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  private route(r: OutgoingRecord): PartitionLog {
    const topic = this.cluster.requireTopic(r.topic);
    if (r.key === null && topic.compacted) {
      throw new BrokerError(`compacted topic ${r.topic} cannot accept a record without key`);
    }
    if (r.partition === undefined) return topic.logs[topic.partitionFor(r.key)];
    const log = topic.logs[r.partition];
    if (!Number.isInteger(r.partition) || !log) throw new UnknownPartition(r.topic, r.partition);
    return log;
  }
}

function hasAny(headers: object): boolean {
  for (const _ in headers) return true;
  return false;
}

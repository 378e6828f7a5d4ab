import type { BrokerRecord } from '../broker/Record.js';
import type { OutboxRecord } from '../store/StateStore.js';

/** Header names a dead-lettered record carries (after Kafka Connect's `__connect.errors.*`). */
export const DLQ_HEADERS = {
  topic: 'kastor.dlq.topic',
  partition: 'kastor.dlq.partition',
  offset: 'kastor.dlq.offset',
  reason: 'kastor.dlq.reason',
  stage: 'kastor.dlq.stage',
} as const;

const MAX_REASON = 1_000;

export function deadLetterRecord(dlqTopic: string, stage: string, record: BrokerRecord, reason: string): OutboxRecord {
  return {
    topic: dlqTopic,
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.topic]: record.topic,
      [DLQ_HEADERS.partition]: String(record.partition),
      [DLQ_HEADERS.offset]: String(record.offset),
      [DLQ_HEADERS.reason]: reason.slice(0, MAX_REASON),
      [DLQ_HEADERS.stage]: stage,
    },
  };
}

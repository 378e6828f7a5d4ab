/**
 * Records between the broker port (src/broker/Record.ts: UTF-8 strings, null for a tombstone,
 * headers as a string map) and node-rdkafka (Buffers; headers as an array of single-key objects,
 * because Kafka allows a key to repeat: the last one wins here).
 */
import type { Message, MessageHeader } from 'node-rdkafka';
import { type BrokerRecord, type Headers, NO_HEADERS } from '../../src/broker/Record.js';


const text = (b: Buffer | string | null | undefined): string | null => {
  if (b === null || b === undefined) return null;
  return typeof b === 'string' ? b : b.toString('utf8');
};

export function toBrokerRecord(m: Message): BrokerRecord {
  let headers = NO_HEADERS;
  if (m.headers !== undefined && m.headers.length > 0) {
    const h: Record<string, string> = {};
    for (const header of m.headers) {
      for (const [k, v] of Object.entries(header)) h[k] = typeof v === 'string' ? v : v.toString('utf8');
    }
    headers = h;
  }
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: text(m.key),
    value: text(m.value),
    headers,
    timestamp: m.timestamp ?? -1,
  };
}

export function toMessageHeaders(headers: Headers | undefined): MessageHeader[] | undefined {
  if (headers === undefined) return undefined;
  const entries = Object.entries(headers);
  if (entries.length === 0) return undefined;
  return entries.map(([k, v]) => ({ [k]: v }));
}

/** Keys go out as bytes so the partitioner hashes exactly the UTF-8 bytes `partitionForKey` does. */
export const toBuffer = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s, 'utf8'));

/**
 * Records as the broker port sees them. Kafka's record model: a value is bytes on the wire; here
 * it is a UTF-8 string (JSON events), null for a tombstone.
 */
export type Headers = Record<string, string>;

/** The headers of a record that has none, shared (frozen) rather than a new `{}` per record. */
export const NO_HEADERS: Headers = Object.freeze({});

export interface BrokerRecord {
  readonly topic: string;
  readonly partition: number;
  /** Position in the partition; numbers are exact up to 2^53, far past any partition's life. */
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Headers;
  /** Milliseconds since the epoch (CreateTime). */
  readonly timestamp: number;
}

/** What a producer sends: the broker assigns partition (unless given) and offset. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers?: Headers;
  readonly partition?: number;
  readonly timestamp?: number;
}

export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Kafka's convention: the committed offset is the offset of the NEXT record to read. */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

export const tpKey = (tp: TopicPartition): string => `${tp.topic}/${tp.partition}`;

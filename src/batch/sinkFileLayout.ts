/**
 * The object-store layout of the file sink (SPEC §3, big-data ingestion), shared by its writer
 * (adapters/sinks/FileSink.ts) and the batch jobs that read the files back (the slow layer):
 *
 *   <root>/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>+<partition>+<startOffset>+<endOffset>.jsonl
 *
 * `dt` and `hour` are the UTC date and hour of the record timestamps (a file never spans two
 * hours); the name is Kafka Connect's `<topic>+<partition>+<startOffset>` with the last offset the
 * file holds appended, offsets zero-padded to 10 digits so that names sort. A file under a topic
 * directory is always complete and committed: files in progress live under `<root>/+tmp/` ('+'
 * cannot occur in a topic name). Each line is one record:
 *   {"topic", "partition", "offset", "key", "timestamp" (ms), "headers", "value"}
 * with `value` parsed when it is JSON (an event) and kept as the raw string otherwise.
 */
import { join } from 'node:path';
import type { BrokerRecord, Headers } from '../broker/Record.js';

export interface SinkLine {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly timestamp: number;
  readonly headers: Headers;
  readonly value: unknown;
}

/** The `dt=` / `hour=` directory a record belongs to. */
export interface SinkBucket {
  readonly dt: string;
  readonly hour: string;
}

export interface SinkFileName {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly endOffset: number;
}

export const SINK_FILE_SUFFIX = '.jsonl';
/** Directory under the root for files in progress; never listed by readers. */
export const SINK_TMP_DIR = '+tmp';
const PAD = 10;
const NAME = /^(.+)\+(\d+)\+(\d+)\+(\d+)\.jsonl$/;

export function bucketOf(timestamp: number): SinkBucket {
  const iso = new Date(timestamp).toISOString();
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

export const sameBucket = (a: SinkBucket, b: SinkBucket): boolean => a.dt === b.dt && a.hour === b.hour;

/** Directory of a bucket, relative to the root. */
export function bucketPath(topic: string, bucket: SinkBucket): string {
  return join(topic, `dt=${bucket.dt}`, `hour=${bucket.hour}`);
}

export function sinkFileName(f: SinkFileName): string {
  const pad = (n: number) => String(n).padStart(PAD, '0');
  return `${f.topic}+${f.partition}+${pad(f.startOffset)}+${pad(f.endOffset)}${SINK_FILE_SUFFIX}`;
}

export function parseSinkFileName(name: string): SinkFileName | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  return { topic: m[1], partition: Number(m[2]), startOffset: Number(m[3]), endOffset: Number(m[4]) };
}

/** One record as a line, newline included. */
export function encodeLine(record: BrokerRecord): string {
  const line: SinkLine = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    timestamp: record.timestamp,
    headers: record.headers,
    value: lineValue(record.value),
  };
  return JSON.stringify(line) + '\n';
}

/** A record's value as its line holds it: JSON as parsed, anything else as its text. */
export function lineValue(value: string | null): unknown {
  if (value === null) return null;
  try {
    return JSON.parse(value);
  } catch {
    // Not JSON: the sink keeps what the topic holds.
    return value;
  }
}

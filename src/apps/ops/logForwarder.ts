/**
 * The log forwarder (SPEC §3, logging and metrics aggregation): reads log lines from a stream (a
 * file, stdin) and produces each as a `log.line` event `{id, type, key: service, at, service,
 * level?, message, fields?}` to `logging.ops.logs`, with the fire-and-forget producer profile
 * (acks=0, batching, compression in the kafka adapter): a high-throughput producer that prefers
 * losing a line in a broker failure to slowing the service that writes the logs.
 *
 * Lines are split on bytes, so that a malformed line is caught before it becomes a string: a line
 * over `maxLineBytes` (64 KiB; only its first KiB is kept) or not valid UTF-8 goes to the dead-letter
 * topic `queuing.ops.dead_letters` with a reason, and the forwarder goes on with the next line.
 * Records are sent in batches of `batchSize`; each batch is awaited (back-pressure on the reader).
 */
import { createReadStream } from 'node:fs';
import { type LogLine, MAX_LOG_LINE_BYTES } from '../../../actors/ops/events.js';
import { type OpsTopics, opsTopics } from '../../../config/ops.js';
import type { Broker, Producer } from '../../broker/Broker.js';
import type { Headers, OutgoingRecord } from '../../broker/Record.js';
import { type Clock, isoAt } from '../../clock/Clock.js';
import { MalformedEvent } from '../../events/EventSchema.js';
import { DLQ_HEADERS } from '../../host/deadLetter.js';
import { deadLetterTopic } from '../../host/topology.js';
import type { IdSource } from '../../ids/IdSource.js';
import type { Metrics } from '../../metrics/Metrics.js';
import { parseLogLine } from './logLineParser.js';

export interface LogForwarderOptions {
  readonly producer: Producer;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** The service whose logs these are: the record key. */
  readonly service: string;
  /** Names the input in dead-letter headers: a path, or `stdin`. */
  readonly source?: string;
  readonly topics?: OpsTopics;
  readonly maxLineBytes?: number;
  readonly batchSize?: number;
  readonly metrics?: Metrics;
}

export interface ForwardStats {
  readonly lines: number;
  readonly forwarded: number;
  readonly deadLettered: number;
  /** Blank lines, skipped. */
  readonly blank: number;
}

/** What of an oversized line the dead-letter record keeps. */
const SAMPLE_BYTES = 1_024;
const STAGE = 'ops.log_forwarder';

export async function forwardLogs(input: AsyncIterable<Buffer | string>, options: LogForwarderOptions): Promise<ForwardStats> {
  const topics = options.topics ?? opsTopics;
  const dlq = deadLetterTopic(topics.logs.name.split('.')[1]).name;
  const max = options.maxLineBytes ?? MAX_LOG_LINE_BYTES;
  const batchSize = options.batchSize ?? 500;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const counted = options.metrics?.counter('kastor_log_lines_total', 'Log lines read by the forwarder, by outcome', ['outcome']);
  const stats = { lines: 0, forwarded: 0, deadLettered: 0, blank: 0 };
  let pending: OutgoingRecord[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  let oversized = false;

  const send = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    await options.producer.send(batch);
  };

  const deadLetter = (value: string, reason: string, extra: Headers = {}) => {
    stats.deadLettered++;
    counted?.({ outcome: 'dead_lettered' });
    pending.push({
      topic: dlq,
      key: options.service,
      value,
      headers: {
        [DLQ_HEADERS.topic]: topics.logs.name,
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.stage]: STAGE,
        'kastor.dlq.source': options.source ?? 'stream',
        'kastor.dlq.line': String(stats.lines),
        ...extra,
      },
    });
  };

  const take = (piece: Buffer) => {
    size += piece.length;
    if (oversized) return;
    if (size <= max) {
      parts.push(piece);
      return;
    }
    oversized = true;
    parts = [Buffer.concat([...parts, piece], Math.min(SAMPLE_BYTES, size))];
  };

  const endLine = async () => {
    stats.lines++;
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const total = size;
    const over = oversized;
    parts = [];
    size = 0;
    oversized = false;
    if (over) {
      deadLetter(bytes.toString('utf8'), `line of ${total} bytes is over the ${max}-byte limit`, { 'kastor.dlq.truncated': String(SAMPLE_BYTES) });
    } else {
      const line = bytes.at(-1) === 13 ? bytes.subarray(0, -1) : bytes;
      let text: string | undefined;
      try {
        text = decoder.decode(line);
      } catch {
        deadLetter(line.toString('base64'), 'line is not valid UTF-8', { 'kastor.dlq.encoding': 'base64' });
      }
      if (text !== undefined && text.trim() === '') stats.blank++;
      else if (text !== undefined) toEvent(text);
    }
    if (pending.length >= batchSize) await send();
  };

  const toEvent = (text: string) => {
    const parsed = parseLogLine(text);
    const event: LogLine = {
      id: options.ids.next(), type: 'log.line', key: options.service, at: parsed.at ?? isoAt(options.clock),
      service: options.service, ...(parsed.level ? { level: parsed.level } : {}), message: parsed.message,
      ...(parsed.fields ? { fields: parsed.fields } : {}),
    };
    try {
      topics.logs.schema.parse(event);
    } catch (e) {
      deadLetter(text, e instanceof MalformedEvent ? `not a log line: ${e.reason}` : String(e));
      return;
    }
    stats.forwarded++;
    counted?.({ outcome: 'forwarded' });
    pending.push({ topic: topics.logs.name, key: options.service, value: JSON.stringify(event) });
  };

  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      take(buf.subarray(start, nl === -1 ? buf.length : nl));
      if (nl === -1) break;
      await endLine();
      start = nl + 1;
    }
  }
  if (size > 0) await endLine();
  await send();
  await options.producer.flush();
  return stats;
}

/**
 * `kastor logs forward <file|->`: forwards a file (or stdin for `-`) through a fire-and-forget
 * producer of `broker`, closed at the end.
 */
export async function forwardLogSource(
  path: string,
  options: Omit<LogForwarderOptions, 'producer' | 'source'> & { readonly broker: Pick<Broker, 'producer'> },
): Promise<ForwardStats> {
  const producer = options.broker.producer({ profile: 'fire-and-forget', clientId: 'kastor-log-forwarder' });
  const input = path === '-' ? process.stdin : createReadStream(path);
  try {
    return await forwardLogs(input, { ...options, producer, source: path === '-' ? 'stdin' : path });
  } finally {
    await producer.close();
  }
}

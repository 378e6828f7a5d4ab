/**
 * The console's dead letters: the records of an application's `queuing.<app>.dead_letters` topic
 * with the `kastor.dlq.*` headers that say where each came from and why (src/host/deadLetter.ts),
 * and the re-drive of one record to its original topic once the cause is fixed. The re-driven
 * record keeps its key, value and own headers, loses the `kastor.dlq.*` ones, and carries
 * `kastor.redriven-from: <dead-letter topic>/<partition>/<offset>`: the log itself records that
 * it was re-driven, and from where. `redriveAll` re-drives every one that failed for one reason.
 */
import { firstValueFrom, lastValueFrom, reduce } from 'rxjs';
import type { Broker, Producer } from '../broker/Broker.js';
import type { BrokerRecord, Headers, RecordMetadata } from '../broker/Record.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import { DLQ_HEADERS } from '../host/deadLetter.js';
import { allTopics, deadLetterTopic } from '../host/topology.js';
import { HttpError, notFound } from '../http/HttpError.js';
import type { Logger } from '../log/Logger.js';
import type { TopicPartitionCounts } from './consoleTopology.js';

export const REDRIVEN_FROM = 'kastor.redriven-from';

export interface DeadLetterView {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  /** Epoch ms the record was dead-lettered. */
  readonly timestamp: number;
  readonly reason: string;
  readonly stage: string;
  /** Where it was read from when it failed. */
  readonly from: { readonly topic: string; readonly partition: number; readonly offset: number };
  /** The record's headers other than `kastor.dlq.*`. */
  readonly headers: Headers;
}

export interface DeadLettersOptions {
  readonly broker: Broker;
  readonly producer: Producer;
  readonly partitions: TopicPartitionCounts;
  readonly log: Logger;
}

export interface BulkRedrive {
  readonly reason: string;
  /** Where each one went. */
  readonly redriven: ReadonlyArray<RecordMetadata & { from: string }>;
  /** Those that could not go back (no topic of the application to go to), with why. */
  readonly refused: ReadonlyArray<{ readonly from: string; readonly why: string }>;
}

/** How far back a bulk re-drive looks in each partition of the dead-letter topic. */
export const BULK_REDRIVE_SCAN = 1_000;

export class DeadLetters {
  constructor(private readonly options: DeadLettersOptions) {}

  /** The last `limit` records of each partition, newest first. */
  async list(app: AppDefinition, limit: number): Promise<{ topic: string; records: DeadLetterView[] }> {
    const { broker, partitions } = this.options;
    const topic = deadLetterTopic(app.name).name;
    const records: DeadLetterView[] = [];
    for (let partition = 0; partition < (await partitions.of(topic)); partition++) {
      const { low, high } = await broker.admin.watermarks({ topic, partition });
      if (high <= low) continue;
      const read = broker.readPartition({ topic, partition }, { from: Math.max(low, high - limit) });
      const batch = await lastValueFrom(read.pipe(reduce((all, b) => all.concat(b), [] as BrokerRecord[])));
      records.push(...batch.map(view));
    }
    records.sort((a, b) => b.timestamp - a.timestamp || b.offset - a.offset);
    return { topic, records };
  }

  /** Produces the dead letter at `partition`/`offset` to its original topic again. */
  async redrive(app: AppDefinition, partition: number, offset: number): Promise<RecordMetadata & { from: string }> {
    const { broker, producer, partitions, log } = this.options;
    const topic = deadLetterTopic(app.name).name;
    if (partition >= (await partitions.of(topic))) throw notFound(`${topic} has no partition ${partition}`);
    const { low, high } = await broker.admin.watermarks({ topic, partition });
    if (offset < low || offset >= high) throw notFound(`no dead letter at ${topic}/${partition}/${offset} (the partition holds ${low}…${high - 1})`);
    const batch = await firstValueFrom(broker.readPartition({ topic, partition }, { from: offset, maxBatchSize: 1 }), { defaultValue: [] });
    const record = batch.find((r) => r.offset === offset);
    if (!record) throw notFound(`no dead letter at ${topic}/${partition}/${offset}`);
    const original = record.headers[DLQ_HEADERS.topic];
    // Only back into the application's own topics: a header is data, not a licence to write anywhere.
    if (!original || !allTopics(app).some((t) => t.name === original)) {
      throw new HttpError(422, `the dead letter at ${topic}/${partition}/${offset} names no topic of ${app.name} to re-drive to (${original ?? 'no kastor.dlq.topic header'})`);
    }
    const from = `${topic}/${partition}/${offset}`;
    const [sent] = await producer.send([{ topic: original, key: record.key, value: record.value, headers: { ...ownHeaders(record.headers), [REDRIVEN_FROM]: from } }]);
    log.info('dead letter re-driven', { from, to: `${sent.topic}/${sent.partition}/${sent.offset}` });
    return { ...sent, from };
  }

  /**
   * Re-drives every dead letter of the application that failed for `reason` (among the last
   * BULK_REDRIVE_SCAN of each partition), oldest first, each as `redrive` does. Doing it twice sends
   * them twice; the actors drop an event they already applied (by its id), the sinks their offsets.
   */
  async redriveAll(app: AppDefinition, reason: string): Promise<BulkRedrive> {
    const { records } = await this.list(app, BULK_REDRIVE_SCAN);
    const matching = records.filter((r) => r.reason === reason).reverse();
    if (matching.length === 0) throw notFound(`no dead letter of ${app.name} failed for "${reason}"`);
    const redriven: Array<RecordMetadata & { from: string }> = [];
    const refused: Array<{ from: string; why: string }> = [];
    for (const r of matching) {
      try {
        redriven.push(await this.redrive(app, r.partition, r.offset));
      } catch (e) {
        if (!(e instanceof HttpError)) throw e;
        refused.push({ from: `${deadLetterTopic(app.name).name}/${r.partition}/${r.offset}`, why: e.reason });
      }
    }
    return { reason, redriven, refused };
  }
}

function view(r: BrokerRecord): DeadLetterView {
  const h = r.headers;
  return {
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    value: r.value,
    timestamp: r.timestamp,
    reason: h[DLQ_HEADERS.reason] ?? '',
    stage: h[DLQ_HEADERS.stage] ?? '',
    from: { topic: h[DLQ_HEADERS.topic] ?? '', partition: Number(h[DLQ_HEADERS.partition] ?? -1), offset: Number(h[DLQ_HEADERS.offset] ?? -1) },
    headers: ownHeaders(h),
  };
}

function ownHeaders(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith('kastor.dlq.')));
}

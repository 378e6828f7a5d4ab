/**
 * Re-keys a topic for an actor keyed differently from it (SPEC §1), as Kafka Streams'
 * repartition topics do: each event is copied, unchanged, to the repartition topic under the
 * actor's key, so that the actor's state stays partition-local. Runs under the commit protocol,
 * so a copy is written at least once and keeps the event's id (the actor host drops duplicates).
 */
import type { BrokerRecord } from '../broker/Record.js';
import { type EventEnvelope, type EventSchema, MalformedEvent, decodeEvent } from '../events/EventSchema.js';
import type { OutboxRecord } from '../store/StateStore.js';
import type { BatchContext, BatchWork, Stage } from './Stage.js';

export interface RepartitionOptions {
  readonly name: string;
  readonly source: string;
  readonly target: string;
  readonly schema: EventSchema<EventEnvelope>;
  readonly key: (event: EventEnvelope) => string;
}

export class RepartitionStage implements Stage {
  readonly name: string;
  readonly topics: readonly string[];
  readonly groupCommit = true;

  constructor(private readonly options: RepartitionOptions) {
    this.name = options.name;
    this.topics = [options.source];
  }

  process(records: readonly BrokerRecord[], context: BatchContext): BatchWork {
    const outbox: OutboxRecord[] = [];
    for (const record of records) {
      if (context.skip.has(record.offset)) continue;
      let key: string;
      try {
        key = this.options.key(decodeEvent(this.options.schema, record.value));
      } catch (e) {
        context.deadLetter(record, e instanceof MalformedEvent ? e.reason : String(e));
        continue;
      }
      outbox.push({ topic: this.options.target, key, value: record.value, headers: record.headers });
    }
    return { outbox };
  }
}

/**
 * A read model (SPEC §3, CQRS): applies the events of its topics to tables in the same store
 * transaction as its offsets, so a crash neither loses nor re-applies an event. Query services read
 * those tables; they never touch the write path.
 */
import type { BrokerRecord } from '../broker/Record.js';
import { type EventEnvelope, type EventSchema, MalformedEvent, decodeEvent } from '../events/EventSchema.js';
import type { StoreTransaction } from '../store/StateStore.js';
import { type BatchContext, type BatchWork, RecordFailed, type Stage } from './Stage.js';

export interface Projection {
  readonly name: string;
  /** Topic name → schema. */
  readonly inputs: ReadonlyMap<string, EventSchema<EventEnvelope>>;
  /** Applies one event inside the batch transaction. */
  apply(event: EventEnvelope, tx: StoreTransaction): void;
  /** After a batch committed (e.g. to wake waiting readers). */
  afterCommit?(): void;
  /** Every instance builds the whole read model (Stage.everyInstance); say why where it is set. */
  readonly everyInstance?: boolean;
}

export class ProjectionStage implements Stage {
  readonly name: string;
  readonly topics: readonly string[];
  readonly groupCommit = true;
  readonly everyInstance: boolean;

  constructor(private readonly projection: Projection) {
    this.name = projection.name;
    this.topics = [...projection.inputs.keys()];
    this.everyInstance = projection.everyInstance ?? false;
  }

  process(records: readonly BrokerRecord[], context: BatchContext): BatchWork {
    const events: Array<[BrokerRecord, EventEnvelope]> = [];
    for (const record of records) {
      if (context.skip.has(record.offset)) continue;
      try {
        events.push([record, decodeEvent(this.projection.inputs.get(record.topic)!, record.value)]);
      } catch (e) {
        context.deadLetter(record, e instanceof MalformedEvent ? e.reason : String(e));
      }
    }
    return {
      extra: (tx) => {
        for (const [record, event] of events) {
          try {
            this.projection.apply(event, tx);
          } catch (e) {
            throw new RecordFailed(record, `projection ${this.name} failed: ${(e as Error).message}`, e);
          }
        }
      },
      committed: () => this.projection.afterCommit?.(),
    };
  }
}

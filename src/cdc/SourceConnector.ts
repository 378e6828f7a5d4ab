/**
 * Change data capture (SPEC §3, MyBank; Kafka Connect's source connectors, Debezium's approach):
 * the ports between a source database and the broker.
 *
 *   ChangeSource     reads row changes after a stored position and stores the position once told
 *                    the changes are safely in the broker. Adapters: adapters/cdc/SqliteChangeSource
 *                    (query-based, by a monotonic row id) and adapters/cdc/PostgresChangeSource
 *                    (log-based, logical replication with pgoutput).
 *   ChangeMapper     what a row change means to an application: an event record, or a reason to
 *                    dead-letter it. The same mapper serves every source of the same table.
 *   SourceConnector  what the process runs: start/stop, one poll, and the position reached.
 *                    PollingConnector implements it over any ChangeSource.
 *
 * Delivery is at least once: a batch is produced, then its position stored. A crash between the two
 * produces the batch again on restart, under the same event ids (the mapper derives them from the
 * source position), so that consumers drop the repeat by id.
 */
import type { OutgoingRecord } from '../broker/Record.js';

export type ChangeKind = 'insert' | 'update' | 'delete';

export interface RowChange {
  readonly kind: ChangeKind;
  /** Schema-qualified where the source has schemas, e.g. `public.transactions`. */
  readonly table: string;
  /** The row after the change (for a delete: the old row, as far as the source logs it). */
  readonly row: Readonly<Record<string, unknown>>;
  /** Where the change sits in the source, stable across re-reads, e.g. `rowid 42`, `0/21AD568#2`. */
  readonly ref: string;
  /**
   * Set by log-based sources, whose log holds several changes of one row: the change's position
   * there (e.g. `0/21AD568:2`, the commit LSN and the change's ordinal in its transaction). Absent
   * where each row is seen once, as inserted.
   */
  readonly logPosition?: string;
}

export interface ChangeBatch {
  readonly changes: readonly RowChange[];
  /** Stores the position after these changes. Call it once they are produced and confirmed. */
  confirm(): Promise<void>;
}

export interface ChangeSource {
  /** Names the source in logs and dead-letter headers, e.g. `sqlite:bank-source.db/transactions`. */
  readonly description: string;
  open(): Promise<void>;
  /** The next changes after the stored position, at most about `limit` (whole transactions). */
  read(limit: number): Promise<ChangeBatch>;
  /** The stored position, as the source writes it; undefined before anything was confirmed. */
  position(): Promise<string | undefined>;
  close(): Promise<void>;
}

export type MappedChange = { readonly record: OutgoingRecord } | { readonly reject: string };

/** Maps a row change to the event record to produce, or to the reason it cannot be. Never throws. */
export type ChangeMapper = (change: RowChange) => MappedChange;

/** Where a query-based source keeps how far it got (log-based sources keep it in the database). */
export interface PositionStore {
  load(connector: string): string | undefined;
  save(connector: string, position: string): void;
}

export interface SourceConnector {
  readonly name: string;
  /** Opens the source and starts polling on the injected clock. */
  start(): Promise<void>;
  /** Stops polling; the round in flight finishes and stores its position. */
  stop(): Promise<void>;
  /** One round: reads what is new, produces it (or dead-letters it), stores the position. */
  poll(): Promise<number>;
  /** The position stored so far. */
  position(): Promise<string | undefined>;
}

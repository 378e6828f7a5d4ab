/**
 * A source row that cannot become an event goes to the application's dead-letter topic with the
 * runtime's `kastor.dlq.*` headers (src/host/deadLetter.ts). It never came from a partition, so
 * `kastor.dlq.topic` names the source (`sqlite:bank-source.db/transactions`) and
 * `kastor.dlq.offset` its position there (`rowid 42`, `0/21AD568#2`); there is no partition header.
 * The value is the change as read, JSON (bigints as text), so nothing of the bad row is lost.
 */
import type { OutgoingRecord } from '../broker/Record.js';
import { DLQ_HEADERS } from '../host/deadLetter.js';
import type { RowChange } from './SourceConnector.js';

const MAX_REASON = 1_000;

export function sourceDeadLetter(
  dlqTopic: string,
  connector: string,
  source: string,
  change: RowChange,
  reason: string,
): OutgoingRecord {
  const key = change.row.user_id;
  return {
    topic: dlqTopic,
    key: typeof key === 'string' && key.length > 0 ? key : null,
    value: JSON.stringify({ kind: change.kind, table: change.table, ref: change.ref, row: change.row }, jsonSafe),
    headers: {
      [DLQ_HEADERS.topic]: `${source}`,
      [DLQ_HEADERS.offset]: change.ref,
      [DLQ_HEADERS.reason]: reason.slice(0, MAX_REASON),
      [DLQ_HEADERS.stage]: connector,
    },
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

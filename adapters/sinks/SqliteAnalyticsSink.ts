/**
 * The SQLite analytics sink (SPEC §3, big-data ingestion): a sink connector from any topics to an
 * analytics table, as Kafka Connect's JDBC sink does. It is a Stage (src/host/Stage.ts): the rows
 * are inserted in the same transaction as the consumed offsets, so the table holds each record
 * exactly once across crashes.
 *
 *   analytics_records(topic, partition, offset, key, type, value JSON, event_at, timestamp)
 *     PK (topic, partition, offset); indexed by (topic, type, event_at)
 * `type` and `event_at` are lifted from the event envelope for batch queries (NULL if absent).
 */
import type { BrokerRecord } from '../../src/broker/Record.js';
import type { BatchContext, BatchWork, Stage } from '../../src/host/Stage.js';
import type { SqliteDatabase } from '../sqlite/SqliteStateStore.js';
import type { OffsetSpan } from '../../src/sim/invariants.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS analytics_records (
  topic TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, key TEXT,
  type TEXT, value TEXT, event_at TEXT, timestamp INTEGER NOT NULL,
  PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS analytics_records_by_type ON analytics_records(topic, type, event_at);
`;

const INSERT = `INSERT OR IGNORE INTO analytics_records
  (topic, partition, offset, key, type, value, event_at, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

export interface SqliteAnalyticsSinkOptions {
  /** Stage name, e.g. `movieflix.analytics`. */
  readonly name: string;
  readonly topics: readonly string[];
  /** The state database (rows must commit with the offsets). */
  readonly db: SqliteDatabase;
}

export class SqliteAnalyticsSink implements Stage {
  readonly name: string;
  readonly topics: readonly string[];
  readonly groupCommit = true;

  constructor(options: SqliteAnalyticsSinkOptions) {
    this.name = options.name;
    this.topics = options.topics;
    options.db.exec(SCHEMA);
  }

  process(records: readonly BrokerRecord[], context: BatchContext): BatchWork {
    const rows: unknown[][] = [];
    for (const r of records) {
      if (context.skip.has(r.offset)) continue;
      let type: string | null = null;
      let at: string | null = null;
      if (r.value !== null) {
        try {
          const v = JSON.parse(r.value) as { type?: unknown; at?: unknown };
          if (typeof v.type === 'string') type = v.type;
          if (typeof v.at === 'string') at = v.at;
        } catch {
          // The analytics store keeps what the topic holds; a value that is not JSON stays raw.
        }
      }
      rows.push([r.topic, r.partition, r.offset, r.key, type, r.value, at, r.timestamp]);
    }
    return { extra: (tx) => { for (const row of rows) tx.run(INSERT, row); } };
  }
}

/** Per partition of a topic: how many records the analytics store holds, and their first and last offsets. */
export function analyticsSummary(db: SqliteDatabase, topic: string): Map<number, OffsetSpan> {
  return new Map(db
    .prepare<[string], { partition: number; n: number; lo: number; hi: number }>(
      'SELECT partition, count(*) AS n, min(offset) AS lo, max(offset) AS hi FROM analytics_records WHERE topic = ? GROUP BY partition')
    .all(topic)
    .map((r) => [r.partition, { n: r.n, lo: r.lo, hi: r.hi }]));
}

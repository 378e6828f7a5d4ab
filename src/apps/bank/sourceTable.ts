/**
 * The source database's table (SPEC §3) as the default SQLite source creates it. Deliberately
 * lenient — no NOT NULL, no CHECK — as a database the bank does not control would be: rows the
 * application cannot use are the connector's to dead-letter, not the database's to refuse.
 * `id INTEGER PRIMARY KEY AUTOINCREMENT` makes the id the rowid, monotonic and never reused;
 * created_at defaults to the insert time, UTC, ISO 8601.
 */
export const SOURCE_TABLE = 'transactions';

export const SOURCE_FILE = 'bank-source.db';

export const CREATE_SOURCE_TABLE = `CREATE TABLE IF NOT EXISTS ${SOURCE_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT,
  amount_cents INTEGER,
  currency TEXT,
  merchant TEXT,
  created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`;

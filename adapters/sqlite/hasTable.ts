import type { SqliteDatabase } from './SqliteStateStore.js';

/**
 * Whether `name` can be queried on this connection: a table of its file, or a view over the worker
 * threads' files (unionReadConnection.ts) — for tables a sink creates on its first record.
 */
export function hasTable(db: SqliteDatabase, name: string): boolean {
  const found = db
    .prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM (SELECT name FROM sqlite_master UNION ALL SELECT name FROM sqlite_temp_master) WHERE name = ?')
    .get(name);
  return (found?.n ?? 0) > 0;
}

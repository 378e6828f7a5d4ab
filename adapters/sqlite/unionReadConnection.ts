/**
 * One read-only connection over the state files of a process's worker threads
 * (`kastor run --workers N`): each file is attached, and every table of the first is shadowed by a
 * temporary view that is the UNION ALL of that table in every file (SQLite looks a name up in
 * `temp` first). A read model prepares its queries on this connection as on a single file's, and
 * each query pushes its WHERE down into every file's index. A key's rows are in the file of the
 * worker that owns its partition, and in no other (SharedConsumer: partitions never move between
 * workers).
 */
import Database from 'better-sqlite3';
import type { SqliteDatabase } from './SqliteStateStore.js';

export function unionReadConnection(files: readonly string[]): SqliteDatabase {
  if (files.length === 0) throw new Error('a union of no state file');
  const db = new Database(':memory:');
  db.pragma('busy_timeout = 5000');
  files.forEach((file, i) => db.prepare('ATTACH DATABASE ? AS ?').run(file, `w${i}`));
  const tables = db
    .prepare("SELECT name FROM w0.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  for (const table of tables) {
    const quoted = `"${table.replaceAll('"', '""')}"`;
    db.exec(`CREATE TEMP VIEW ${quoted} AS ${files.map((_, i) => `SELECT * FROM w${i}.${quoted}`).join(' UNION ALL ')}`);
  }
  return db;
}

/**
 * Query-based CDC from a SQLite database (src/cdc/SourceConnector.ts: ChangeSource): the table is
 * read incrementally by its rowid, `SELECT rowid, * FROM <table> WHERE rowid > ? ORDER BY rowid`,
 * and the last rowid produced is the position, kept in a PositionStore (the state database).
 *
 * Why rowid order is commit order here: SQLite has a single writer, and a transaction holds the
 * write lock from its first insert to its commit, so no row with a higher rowid can commit before
 * a lower one (PostgreSQL sequences give no such guarantee; that source reads the WAL instead).
 * With `id INTEGER PRIMARY KEY AUTOINCREMENT` the rowid is the id and never reused. A table with a
 * loosely typed `id` is still read by rowid, so rows with non-numeric ids are seen (and
 * dead-lettered by the mapper) instead of stopping the connector.
 *
 * Query-based CDC sees inserts only: updates and deletes of rows already read are invisible to it.
 * Integers are read as bigints, so that ids past 2^53 stay exact.
 */
import { basename } from 'node:path';
import Database from 'better-sqlite3';
import type { ChangeBatch, ChangeSource, PositionStore, RowChange } from '../../src/cdc/SourceConnector.js';

export interface SqliteChangeSourceOptions {
  readonly file: string;
  /** A plain identifier, e.g. `transactions`. */
  readonly table: string;
  readonly positions: PositionStore;
  /** The key of the position in the store (the connector's name). */
  readonly connector: string;
  /** DDL creating the table when the database lacks it; without it the file and table must exist. */
  readonly createTable?: string;
}

const ROWID = '__kastor_rowid';

export class SqliteChangeSource implements ChangeSource {
  readonly description: string;
  private db?: Database.Database;
  private select?: Database.Statement<[bigint, number], Record<string, unknown>>;
  private after = 0n;

  constructor(private readonly options: SqliteChangeSourceOptions) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.table)) throw new Error(`table name '${options.table}' is not a plain identifier`);
    this.description = `sqlite:${basename(options.file)}/${options.table}`;
  }

  async open(): Promise<void> {
    const { file, table, createTable } = this.options;
    const db = new Database(file, createTable ? {} : { fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      if (createTable) {
        db.pragma('journal_mode = WAL');
        db.exec(createTable);
      }
      const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
      if (!exists) throw new Error(`source database ${file} has no table ${table}`);
      this.select = db
        .prepare<[bigint, number], Record<string, unknown>>(`SELECT rowid AS ${ROWID}, * FROM "${table}" WHERE rowid > ? ORDER BY rowid LIMIT ?`)
        .safeIntegers(true);
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    this.after = BigInt(this.options.positions.load(this.options.connector) ?? '0');
  }

  async read(limit: number): Promise<ChangeBatch> {
    if (!this.select) throw new Error(`${this.description} is not open`);
    const rows = this.select.all(this.after, limit);
    const changes: RowChange[] = rows.map((r) => {
      const { [ROWID]: rowid, ...row } = r;
      return { kind: 'insert', table: this.options.table, row, ref: `rowid ${String(rowid)}` };
    });
    const last = rows.length > 0 ? (rows[rows.length - 1][ROWID] as bigint) : undefined;
    return {
      changes,
      confirm: async () => {
        if (last === undefined) return;
        this.options.positions.save(this.options.connector, last.toString());
        this.after = last;
      },
    };
  }

  async position(): Promise<string | undefined> {
    return this.options.positions.load(this.options.connector);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.select = undefined;
  }
}

/**
 * SQLite implementation of the state store port (src/store/StateStore.ts), on better-sqlite3.
 *
 * Tables, all keyed by the stage name so that several stages share one database file:
 *   kastor_snapshots(stage, key, snapshot JSON, seen JSON)        PK (stage, key)
 *   kastor_outbox(seq AUTOINCREMENT, stage, topic, key, value, headers JSON, partition NULL: by key)
 *   kastor_offsets(stage, topic, partition, next_offset)          PK (stage, topic, partition)
 *   kastor_timers(stage, key, partition, due)                     PK (stage, key): earliest pending
 *     delayed transition of an actor, to wake it when passivated
 * WAL journal with synchronous=NORMAL: a commit survives a process crash (kill -9); after a power
 * loss the last transactions may be rolled back, which the protocol tolerates (the broker still
 * holds the records and SQLite's offsets roll back with the state). Every commit rewrites the
 * pages of the snapshots it touches, which are spread over the whole table: a 64 MiB page cache
 * keeps them from being read back, and a checkpoint every 64 MiB of WAL (instead of 4) copies a
 * page rewritten by many commits to the database file once.
 */
import Database from 'better-sqlite3';
import type { TopicPartition } from '../../src/broker/Record.js';
import { tpKey } from '../../src/broker/Record.js';
import type {
  BatchCommit,
  DueTimer,
  OutboxRow,
  StageStore,
  StateStore,
  StoreTransaction,
  StoredSnapshot,
} from '../../src/store/StateStore.js';

export type SqliteDatabase = Database.Database;

export function openDatabase(file: string): SqliteDatabase {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 16384');
  return db;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kastor_snapshots (
  stage TEXT NOT NULL, key TEXT NOT NULL, snapshot TEXT NOT NULL, seen TEXT NOT NULL,
  PRIMARY KEY (stage, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kastor_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, stage TEXT NOT NULL, topic TEXT NOT NULL,
  key TEXT, value TEXT, headers TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS kastor_outbox_stage ON kastor_outbox(stage, seq);
CREATE TABLE IF NOT EXISTS kastor_offsets (
  stage TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
  PRIMARY KEY (stage, topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kastor_timers (
  stage TEXT NOT NULL, key TEXT NOT NULL, partition INTEGER NOT NULL, due INTEGER NOT NULL,
  PRIMARY KEY (stage, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kastor_timers_due ON kastor_timers(stage, due);
`;

/**
 * Rows per INSERT of a commit's outbox rows and snapshots: one statement per chunk rather than per
 * row (each statement run is a call into SQLite and a result object back).
 */
const CHUNK = 64;

/** `INSERT ... VALUES (?, ...), (?, ...)` for `rows` rows of `columns` values, then `tail`. */
function multiRowInsert(head: string, columns: number, rows: number, tail = ''): string {
  const row = `(${Array(columns).fill('?').join(', ')})`;
  return `${head} VALUES ${Array(rows).fill(row).join(', ')}${tail}`;
}

const OUTBOX_INSERT = 'INSERT INTO kastor_outbox (stage, topic, key, value, headers, partition)';
const SNAPSHOT_UPSERT = 'INSERT INTO kastor_snapshots (stage, key, snapshot, seen)';
const SNAPSHOT_CONFLICT = ' ON CONFLICT (stage, key) DO UPDATE SET snapshot = excluded.snapshot, seen = excluded.seen';

export class SqliteStateStore implements StateStore {
  readonly db: SqliteDatabase;
  private readonly owned: boolean;
  /** One per stage name: a stage store prepares a dozen statements, and callers ask often. */
  private readonly stages = new Map<string, SqliteStageStore>();

  /** `file` may be ':memory:'; pass an open database to share it with read models. */
  constructor(file: string | SqliteDatabase) {
    this.owned = typeof file === 'string';
    this.db = typeof file === 'string' ? openDatabase(file) : file;
    this.db.exec(SCHEMA);
    // Files written before outbox rows could name their partition.
    const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(kastor_outbox)').all();
    if (!columns.some((c) => c.name === 'partition')) this.db.exec('ALTER TABLE kastor_outbox ADD COLUMN partition INTEGER');
  }

  stage(name: string): StageStore {
    let store = this.stages.get(name);
    if (!store) this.stages.set(name, (store = new SqliteStageStore(this.db, name)));
    return store;
  }

  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }
}

class SqliteStageStore implements StageStore {
  private readonly selectSnapshot;
  private selectKeys?: Database.Statement<[string, string, string, number], string>;
  private readonly upsertSnapshot;
  private readonly upsertSnapshots;
  private readonly removeSnapshot;
  private readonly insertOutbox;
  private readonly insertOutboxRows;
  /** The parameters of a chunk, reused from one chunk to the next. */
  private readonly chunkParams: unknown[] = [];
  private readonly selectOutbox;
  private readonly removeOutbox;
  private readonly removeOutboxRange;
  private readonly upsertOffset;
  private readonly selectOffset;
  private readonly upsertTimer;
  private readonly removeTimer;
  private readonly selectTimers;
  private readonly tx: StoreTransaction;
  private readonly commitTx;

  constructor(private readonly db: SqliteDatabase, readonly stage: string) {
    this.selectSnapshot = db.prepare<[string, string], StoredSnapshot>(
      'SELECT snapshot, seen FROM kastor_snapshots WHERE stage = ? AND key = ?');
    this.upsertSnapshot = db.prepare(multiRowInsert(SNAPSHOT_UPSERT, 4, 1, SNAPSHOT_CONFLICT));
    this.upsertSnapshots = db.prepare(multiRowInsert(SNAPSHOT_UPSERT, 4, CHUNK, SNAPSHOT_CONFLICT));
    this.removeSnapshot = db.prepare('DELETE FROM kastor_snapshots WHERE stage = ? AND key = ?');
    this.insertOutbox = db.prepare(multiRowInsert(OUTBOX_INSERT, 6, 1));
    this.insertOutboxRows = db.prepare(multiRowInsert(OUTBOX_INSERT, 6, CHUNK));
    this.selectOutbox = db.prepare<[string, number], { seq: number; topic: string; key: string | null; value: string | null; headers: string; partition: number | null }>(
      'SELECT seq, topic, key, value, headers, partition FROM kastor_outbox WHERE stage = ? ORDER BY seq LIMIT ?');
    this.removeOutbox = db.prepare('DELETE FROM kastor_outbox WHERE stage = ? AND seq = ?');
    this.removeOutboxRange = db.prepare('DELETE FROM kastor_outbox WHERE stage = ? AND seq BETWEEN ? AND ?');
    this.upsertOffset = db.prepare(
      `INSERT INTO kastor_offsets (stage, topic, partition, next_offset) VALUES (?, ?, ?, ?)
       ON CONFLICT (stage, topic, partition) DO UPDATE SET next_offset = excluded.next_offset`);
    this.selectOffset = db.prepare<[string, string, number], { next_offset: number }>(
      'SELECT next_offset FROM kastor_offsets WHERE stage = ? AND topic = ? AND partition = ?');
    this.upsertTimer = db.prepare(
      `INSERT INTO kastor_timers (stage, key, partition, due) VALUES (?, ?, ?, ?)
       ON CONFLICT (stage, key) DO UPDATE SET partition = excluded.partition, due = excluded.due`);
    this.removeTimer = db.prepare('DELETE FROM kastor_timers WHERE stage = ? AND key = ?');
    this.selectTimers = db.prepare<[string, number], DueTimer>(
      'SELECT key, partition, due FROM kastor_timers WHERE stage = ? ORDER BY due LIMIT ?');
    const statements = new Map<string, Database.Statement>();
    const statement = (sql: string) => {
      let s = statements.get(sql);
      if (!s) statements.set(sql, (s = db.prepare(sql)));
      return s;
    };
    this.tx = {
      run: (sql, params) => void statement(sql).run(...paramList(params)),
      get: <T>(sql: string, params?: readonly unknown[] | Record<string, unknown>) =>
        statement(sql).get(...paramList(params)) as T | undefined,
    };
    this.commitTx = db.transaction((batch: BatchCommit, extra?: (tx: StoreTransaction) => void) => {
      const { snapshots, outbox } = batch;
      const params = this.chunkParams;
      let i = 0;
      for (; i + CHUNK <= snapshots.length; i += CHUNK) {
        params.length = 0;
        for (let j = i; j < i + CHUNK; j++) params.push(stage, snapshots[j].key, snapshots[j].snapshot, snapshots[j].seen);
        this.upsertSnapshots.run(params);
      }
      for (; i < snapshots.length; i++) this.upsertSnapshot.run(stage, snapshots[i].key, snapshots[i].snapshot, snapshots[i].seen);
      for (const s of snapshots) {
        if (s.timer?.due != null) this.upsertTimer.run(stage, s.key, s.timer.partition, s.timer.due);
        else if (s.timer) this.removeTimer.run(stage, s.key);
      }
      // The rows of one INSERT get consecutive sequence numbers (AUTOINCREMENT: one past the
      // largest ever), ending at the last row's.
      const seqs = new Array<number>(outbox.length);
      for (i = 0; i + CHUNK <= outbox.length; i += CHUNK) {
        params.length = 0;
        for (let j = i; j < i + CHUNK; j++) {
          const r = outbox[j];
          params.push(stage, r.topic, r.key, r.value, headersJson(r.headers), r.partition ?? null);
        }
        const last = Number(this.insertOutboxRows.run(params).lastInsertRowid);
        for (let j = 0; j < CHUNK; j++) seqs[i + j] = last - CHUNK + 1 + j;
      }
      for (; i < outbox.length; i++) {
        const r = outbox[i];
        seqs[i] = Number(this.insertOutbox.run(stage, r.topic, r.key, r.value, headersJson(r.headers), r.partition ?? null).lastInsertRowid);
      }
      for (const o of batch.offsets) this.upsertOffset.run(stage, o.topic, o.partition, o.offset);
      extra?.(this.tx);
      return seqs;
    });
  }

  loadSnapshot(key: string): StoredSnapshot | undefined {
    return this.selectSnapshot.get(this.stage, key);
  }

  keysWithPrefix(prefix: string, limit: number): string[] {
    // A range of the primary key (stage, key): every key that starts with the prefix sorts below
    // the prefix followed by the highest code point.
    this.selectKeys ??= this.db.prepare<[string, string, string, number], string>(
      'SELECT key FROM kastor_snapshots WHERE stage = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?').pluck();
    return this.selectKeys.all(this.stage, prefix, `${prefix}\u{10FFFF}`, limit);
  }

  offsets(tps: readonly TopicPartition[]): Map<string, number> {
    const found = new Map<string, number>();
    for (const tp of tps) {
      const row = this.selectOffset.get(this.stage, tp.topic, tp.partition);
      if (row) found.set(tpKey(tp), row.next_offset);
    }
    return found;
  }

  commit(batch: BatchCommit, extra?: (tx: StoreTransaction) => void): number[] {
    return this.commitTx(batch, extra);
  }

  pendingOutbox(limit = 10_000): OutboxRow[] {
    return this.selectOutbox.all(this.stage, limit).map((r) => ({
      seq: r.seq, topic: r.topic, key: r.key, value: r.value, headers: JSON.parse(r.headers),
      ...(r.partition === null ? {} : { partition: r.partition }),
    }));
  }

  deleteOutbox(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    // The rows of one commit have consecutive numbers (one writer per stage, one transaction),
    // and so do the stage's oldest rows that a restart re-sends: one range delete.
    const first = seqs[0];
    const last = seqs[seqs.length - 1];
    if (last - first + 1 === seqs.length && seqs.every((seq, i) => seq === first + i)) {
      this.removeOutboxRange.run(this.stage, first, last);
      return;
    }
    this.db.transaction(() => {
      for (const seq of seqs) this.removeOutbox.run(this.stage, seq);
    })();
  }

  deleteSnapshot(key: string): void {
    this.removeSnapshot.run(this.stage, key);
    this.removeTimer.run(this.stage, key);
  }

  dueTimers(limit: number): DueTimer[] {
    return this.selectTimers.all(this.stage, limit);
  }
}

function headersJson(headers: OutboxRow['headers']): string {
  for (const _ in headers) return JSON.stringify(headers);
  return '{}';
}

function paramList(params?: readonly unknown[] | Record<string, unknown>): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? [...params] : [params];
}

/**
 * SQLite implementation of the state store port (src/store/StateStore.ts), on better-sqlite3.
 *
 * Tables, all keyed by the stage name so that several stages share one database file:
 *   kastor_snapshots(stage, key, snapshot JSON, seen JSON)        PK (stage, key)
 *   kastor_outbox(seq AUTOINCREMENT, stage, topic, key, value, headers JSON)
 *   kastor_offsets(stage, topic, partition, next_offset)          PK (stage, topic, partition)
 *   kastor_timers(stage, key, partition, due)                     PK (stage, key): earliest pending
 *     delayed transition of an actor, to wake it when passivated
 * WAL journal with synchronous=NORMAL: a commit survives a process crash (kill -9); after a power
 * loss the last transactions may be rolled back, which the protocol tolerates (the broker still
 * holds the records and SQLite's offsets roll back with the state).
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

export class SqliteStateStore implements StateStore {
  readonly db: SqliteDatabase;
  private readonly owned: boolean;

  /** `file` may be ':memory:'; pass an open database to share it with read models. */
  constructor(file: string | SqliteDatabase) {
    this.owned = typeof file === 'string';
    this.db = typeof file === 'string' ? openDatabase(file) : file;
    this.db.exec(SCHEMA);
  }

  stage(name: string): StageStore {
    return new SqliteStageStore(this.db, name);
  }

  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }
}

class SqliteStageStore implements StageStore {
  private readonly selectSnapshot;
  private readonly upsertSnapshot;
  private readonly removeSnapshot;
  private readonly insertOutbox;
  private readonly selectOutbox;
  private readonly removeOutbox;
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
    this.upsertSnapshot = db.prepare(
      `INSERT INTO kastor_snapshots (stage, key, snapshot, seen) VALUES (?, ?, ?, ?)
       ON CONFLICT (stage, key) DO UPDATE SET snapshot = excluded.snapshot, seen = excluded.seen`);
    this.removeSnapshot = db.prepare('DELETE FROM kastor_snapshots WHERE stage = ? AND key = ?');
    this.insertOutbox = db.prepare(
      'INSERT INTO kastor_outbox (stage, topic, key, value, headers) VALUES (?, ?, ?, ?, ?)');
    this.selectOutbox = db.prepare<[string, number], { seq: number; topic: string; key: string | null; value: string | null; headers: string }>(
      'SELECT seq, topic, key, value, headers FROM kastor_outbox WHERE stage = ? ORDER BY seq LIMIT ?');
    this.removeOutbox = db.prepare('DELETE FROM kastor_outbox WHERE stage = ? AND seq = ?');
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
      for (const s of batch.snapshots) {
        this.upsertSnapshot.run(stage, s.key, s.snapshot, s.seen);
        if (s.timer?.due != null) this.upsertTimer.run(stage, s.key, s.timer.partition, s.timer.due);
        else if (s.timer) this.removeTimer.run(stage, s.key);
      }
      const rows: OutboxRow[] = [];
      for (const r of batch.outbox) {
        const info = this.insertOutbox.run(stage, r.topic, r.key, r.value, JSON.stringify(r.headers));
        rows.push({ ...r, seq: Number(info.lastInsertRowid) });
      }
      for (const o of batch.offsets) this.upsertOffset.run(stage, o.topic, o.partition, o.offset);
      extra?.(this.tx);
      return rows;
    });
  }

  loadSnapshot(key: string): StoredSnapshot | undefined {
    return this.selectSnapshot.get(this.stage, key);
  }

  offsets(tps: readonly TopicPartition[]): Map<string, number> {
    const found = new Map<string, number>();
    for (const tp of tps) {
      const row = this.selectOffset.get(this.stage, tp.topic, tp.partition);
      if (row) found.set(tpKey(tp), row.next_offset);
    }
    return found;
  }

  commit(batch: BatchCommit, extra?: (tx: StoreTransaction) => void): OutboxRow[] {
    return this.commitTx(batch, extra);
  }

  pendingOutbox(limit = 10_000): OutboxRow[] {
    return this.selectOutbox.all(this.stage, limit).map((r) => ({
      seq: r.seq, topic: r.topic, key: r.key, value: r.value, headers: JSON.parse(r.headers),
    }));
  }

  deleteOutbox(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
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

function paramList(params?: readonly unknown[] | Record<string, unknown>): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? [...params] : [params];
}

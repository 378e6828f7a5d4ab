/**
 * The file sink's commit log, in the state database: one row per sealed file, inserted in the SAME
 * transaction as the stage's offsets (src/store/StateStore.ts), so "this file is committed" and
 * "the runner will not read these records again" become true together.
 *
 *   file_sink_files(stage, topic, partition, start_offset, end_offset, records, bytes,
 *                   path, temp, renamed 0|1, committed_at)    PK (stage, topic, partition, start_offset)
 * `path` (final) and `temp` are relative to the sink root. A row with renamed = 0 is a committed
 * file whose rename from `temp` to `path` may not have happened yet (a crash between the store
 * commit and the rename): the sink finishes it on start (roll forward).
 */
import type { StoreTransaction } from '../../src/store/StateStore.js';
import type { SqliteDatabase } from '../sqlite/SqliteStateStore.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS file_sink_files (
  stage TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
  start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, records INTEGER NOT NULL,
  bytes INTEGER NOT NULL, path TEXT NOT NULL, temp TEXT NOT NULL, renamed INTEGER NOT NULL,
  committed_at INTEGER NOT NULL,
  PRIMARY KEY (stage, topic, partition, start_offset)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS file_sink_files_pending ON file_sink_files(stage, renamed);
`;

const INSERT = `INSERT INTO file_sink_files
  (stage, topic, partition, start_offset, end_offset, records, bytes, path, temp, renamed, committed_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`;

/** A file sealed (complete and fsynced) under its temp name, waiting for its commit. */
export interface SealedFile {
  readonly topic: string;
  readonly partition: number;
  readonly startOffset: number;
  readonly endOffset: number;
  readonly records: number;
  readonly bytes: number;
  /** Relative to the root. */
  readonly path: string;
  readonly temp: string;
}

export interface CommittedFile extends SealedFile {
  readonly renamed: boolean;
  readonly committedAt: number;
}

interface Row {
  topic: string; partition: number; start_offset: number; end_offset: number; records: number;
  bytes: number; path: string; temp: string; renamed: number; committed_at: number;
}

export class FileSinkManifest {
  constructor(private readonly db: SqliteDatabase, private readonly stage: string) {
    db.exec(SCHEMA);
  }

  /** Inside the batch transaction, beside the offsets. */
  insert(tx: StoreTransaction, file: SealedFile, at: number): void {
    tx.run(INSERT, [this.stage, file.topic, file.partition, file.startOffset, file.endOffset, file.records,
      file.bytes, file.path, file.temp, at]);
  }

  /** After the rename; a crash before this only makes the start-up check the rename again. */
  markRenamed(file: SealedFile): void {
    this.db.prepare('UPDATE file_sink_files SET renamed = 1 WHERE stage = ? AND topic = ? AND partition = ? AND start_offset = ?')
      .run(this.stage, file.topic, file.partition, file.startOffset);
  }

  /** Committed files whose rename is not known to have happened. */
  unrenamed(): CommittedFile[] {
    return this.db.prepare<[string], Row>('SELECT * FROM file_sink_files WHERE stage = ? AND renamed = 0 ORDER BY topic, partition, start_offset')
      .all(this.stage).map(toFile);
  }

  /** Every committed file of the stage (for tools and specs). */
  files(topic?: string): CommittedFile[] {
    const rows = topic === undefined
      ? this.db.prepare<[string], Row>('SELECT * FROM file_sink_files WHERE stage = ? ORDER BY topic, partition, start_offset').all(this.stage)
      : this.db.prepare<[string, string], Row>('SELECT * FROM file_sink_files WHERE stage = ? AND topic = ? ORDER BY partition, start_offset')
        .all(this.stage, topic);
    return rows.map(toFile);
  }
}

function toFile(r: Row): CommittedFile {
  return {
    topic: r.topic, partition: r.partition, startOffset: r.start_offset, endOffset: r.end_offset, records: r.records,
    bytes: r.bytes, path: r.path, temp: r.temp, renamed: r.renamed === 1, committedAt: r.committed_at,
  };
}

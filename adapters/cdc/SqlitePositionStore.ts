/**
 * SQLite implementation of the CDC position store (src/cdc/SourceConnector.ts: PositionStore), in
 * the process's state database beside the stages' offsets:
 *   kastor_cdc_positions(connector TEXT PK, position TEXT)
 * A save is its own small transaction, run after the connector's batch is confirmed by the broker.
 */
import type { PositionStore } from '../../src/cdc/SourceConnector.js';
import type { SqliteDatabase } from '../sqlite/SqliteStateStore.js';

export class SqlitePositionStore implements PositionStore {
  private readonly select;
  private readonly upsert;

  constructor(db: SqliteDatabase) {
    db.exec('CREATE TABLE IF NOT EXISTS kastor_cdc_positions (connector TEXT PRIMARY KEY, position TEXT NOT NULL) WITHOUT ROWID');
    this.select = db.prepare<[string], { position: string }>('SELECT position FROM kastor_cdc_positions WHERE connector = ?');
    this.upsert = db.prepare<[string, string]>(
      `INSERT INTO kastor_cdc_positions (connector, position) VALUES (?, ?)
       ON CONFLICT (connector) DO UPDATE SET position = excluded.position`,
    );
  }

  load(connector: string): string | undefined {
    return this.select.get(connector)?.position;
  }

  save(connector: string, position: string): void {
    this.upsert.run(connector, position);
  }
}

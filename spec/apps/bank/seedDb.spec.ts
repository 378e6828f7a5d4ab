import { expect } from 'chai';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDb, seedDbCommand } from '../../../src/apps/bank/seedDb.js';
import { transactionChangeMapper } from '../../../src/apps/bank/transactionChanges.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

describe('kastor bank seed-db', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kastor-seed-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rows = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT * FROM transactions ORDER BY id').all() as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  };

  it('is seeded: the same options give the same rows, stamped from `now` on', () => {
    const a = seedDb({ file: join(dir, 'a.db'), now: NOW, count: 50, users: 5, seed: 3 });
    seedDb({ file: join(dir, 'b.db'), now: NOW, count: 50, users: 5, seed: 3 });
    expect(a).to.deep.include({ inserted: 50, malformed: 0, firstId: 1, lastId: 50 });
    expect(rows(join(dir, 'a.db'))).to.deep.equal(rows(join(dir, 'b.db')));
    const seeded = rows(join(dir, 'a.db'));
    // A threshold set before seeding must be in effect for every row: none is stamped before `now`.
    expect(seeded[0].created_at).to.equal('2026-01-01T12:00:00.000Z');
    expect(seeded.every((r) => Date.parse(r.created_at as string) >= NOW)).to.equal(true);
    expect(new Set(seeded.map((r) => r.user_id)).size).to.be.at.most(5);
  });

  it('adds malformed rows that the connector would dead-letter, and appends on a second run', () => {
    const file = join(dir, 'bank-source.db');
    expect(seedDbCommand({ data: dir, count: 20, malformed: 3 }, NOW)).to.equal(`inserted 23 rows (3 malformed) into ${file}, ids 1-23`);
    expect(seedDbCommand({ data: dir, count: 5 }, NOW)).to.match(/ids 24-28$/);
    const map = transactionChangeMapper('etl.bank.bank_transactions');
    const rejected = rows(file).map((row) => map({ kind: 'insert', table: 'transactions', row, ref: `rowid ${row.id}` }))
      .filter((m) => 'reject' in m).map((m) => ('reject' in m ? m.reject.split(':')[0] : ''));
    expect(rejected.sort()).to.deep.equal(['amount_cents', 'created_at', 'currency']);
  });
});

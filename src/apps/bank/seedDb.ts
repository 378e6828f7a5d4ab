/**
 * `kastor bank seed-db`: fills the default SQLite source database (`<data>/bank-source.db`) with
 * demo transactions for the CDC connector to pick up, as the bank's existing systems would. Seeded:
 * the same options give the same rows. Rows are stamped from `now` on, `spacingMs` apart: alerts
 * judge a transaction by the threshold in effect at its event time (actors/bank/accountState.ts),
 * so a threshold set before seeding must be in effect for every row, and a row stamped before
 * `now` could predate it. `malformed` adds rows the connector must dead-letter (null amount,
 * unknown currency, unreadable time) among the good ones.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { seededRandom } from '../../ids/IdSource.js';
import { CREATE_SOURCE_TABLE, SOURCE_FILE, SOURCE_TABLE } from './sourceTable.js';

export interface SeedOptions {
  readonly file: string;
  /** Event time of the first row, epoch ms (the caller's clock). */
  readonly now: number;
  readonly count?: number;
  readonly users?: number;
  readonly seed?: number;
  readonly malformed?: number;
  /** Between two rows' event times (default 1 ms: a few hundred rows end well under a second ahead). */
  readonly spacingMs?: number;
}

export interface SeedResult {
  readonly file: string;
  readonly inserted: number;
  readonly malformed: number;
  readonly firstId: number;
  readonly lastId: number;
}

const MERCHANTS = ['Acme Groceries', 'City Transit', 'Corner Cafe', 'ElectroMart', 'Fly Away Air', 'Bookworm', 'Fuel Stop', 'Hotel Lumen'];

export function seedDb(options: SeedOptions): SeedResult {
  const count = options.count ?? 100;
  const users = options.users ?? 10;
  const malformed = options.malformed ?? 0;
  const spacing = options.spacingMs ?? 1;
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(users) || users < 1 || !Number.isInteger(malformed) || malformed < 0) {
    throw new Error('count and malformed must be integers >= 0, users >= 1');
  }
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const db = new Database(options.file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(CREATE_SOURCE_TABLE);
    const insert = db.prepare<[string | null, number | null, string | null, string | null, string]>(
      `INSERT INTO ${SOURCE_TABLE} (user_id, amount_cents, currency, merchant, created_at) VALUES (?, ?, ?, ?, ?)`,
    );
    const total = count + malformed;
    // Spread the malformed rows evenly among the good ones.
    const bad = new Set(Array.from({ length: malformed }, (_, i) => Math.floor(((i + 0.5) * total) / malformed)));
    const ids: number[] = [];
    let nthBad = 0;
    db.transaction(() => {
      for (let i = 0; i < total; i++) {
        const userId = `user_${String(1 + Math.floor(random() * users)).padStart(3, '0')}`;
        // Log-uniform from $1 to $5,000: mostly small, now and then large.
        const amount = Math.round(100 * Math.exp(random() * Math.log(5_000)));
        const currency = random() < 0.85 ? 'USD' : 'EUR';
        const createdAt = new Date(options.now + i * spacing).toISOString();
        let row: [string | null, number | null, string | null, string | null, string] = [userId, amount, currency, pick(MERCHANTS), createdAt];
        if (bad.has(i)) {
          const kind = nthBad++ % 3;
          row = kind === 0 ? [userId, null, currency, row[3], createdAt]
            : kind === 1 ? [userId, amount, 'ZZZ', row[3], createdAt]
              : [userId, amount, currency, row[3], 'yesterday'];
        }
        ids.push(Number(insert.run(...row).lastInsertRowid));
      }
    })();
    return { file: options.file, inserted: total, malformed, firstId: ids[0] ?? 0, lastId: ids[ids.length - 1] ?? 0 };
  } finally {
    db.close();
  }
}

/**
 * `kastor bank seed-db [--data ./data] [--count 100] [--users 10] [--seed 1] [--malformed 0]`: the
 * command line's options (parsed and checked by src/cli/commands/bank.ts) to a seeding, and its
 * report line.
 */
export function seedDbCommand(
  flags: Readonly<{ data: string; count?: number; users?: number; seed?: number; malformed?: number }>,
  now: number,
): string {
  const r = seedDb({
    file: join(flags.data, SOURCE_FILE),
    now,
    count: flags.count ?? 100,
    users: flags.users ?? 10,
    seed: flags.seed ?? 1,
    malformed: flags.malformed ?? 0,
  });
  return `inserted ${r.inserted} rows (${r.malformed} malformed) into ${r.file}, ids ${r.firstId}-${r.lastId}`;
}

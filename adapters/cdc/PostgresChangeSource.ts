/**
 * Log-based CDC from PostgreSQL (src/cdc/SourceConnector.ts: ChangeSource), the Debezium approach
 * without the streaming protocol: a logical replication slot with the pgoutput plugin over a
 * publication, polled with SQL.
 *
 *   read     `pg_current_wal_lsn()` = L, then `pg_logical_slot_peek_binary_changes(slot, L, limit,
 *            'proto_version', '1', 'publication_names', pub)`: whole transactions after the slot's
 *            confirmed position, not consumed (decoded by pgoutput.ts);
 *   confirm  `pg_replication_slot_advance(slot, end LSN of the last commit read)` once the batch is
 *            produced; after an empty read, to L — nothing of the publication committed before L,
 *            and without it an idle slot would hold the server's WAL forever.
 * The position is the slot's confirmed_flush_lsn, kept by PostgreSQL itself: a restart (or a
 * crash before the advance) reads the same transactions again, under the same event ids.
 *
 * Needs wal_level=logical and the publication (scripts/postgres-cdc-setup.sh); the slot is created
 * on first open, and streams what commits from then on (no initial snapshot: alerts are for new
 * transactions). REPLICA IDENTITY FULL gives updates and deletes the whole old row. `limit` counts
 * decoded messages (begin, relation, change, commit) and PostgreSQL ends a read on a commit only:
 * a transaction comes back whole, so a huge one is one batch.
 *
 * The `pg` package is loaded when the source opens, so that processes on the SQLite source do not
 * need it installed.
 */
import type { ChangeBatch, ChangeSource, RowChange } from '../../src/cdc/SourceConnector.js';
import { type PgRelation, decodePgOutput, rowOf } from './pgoutput.js';

export interface PostgresChangeSourceOptions {
  /** e.g. `postgres://postgres@127.0.0.1:5432/kastor_bank`. */
  readonly url: string;
  readonly slot: string;
  readonly publication: string;
  /** Schema-qualified, e.g. `public.transactions`. */
  readonly table: string;
}

/** The part of `pg`'s Client this source uses. */
export interface PgClient {
  connect(): Promise<unknown>;
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<{ rows: R[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export async function connectPostgres(url: string): Promise<PgClient> {
  const specifier = 'pg';
  let pg: { Client?: new (config: { connectionString: string }) => PgClient; default?: { Client: new (config: { connectionString: string }) => PgClient } };
  try {
    pg = await import(specifier);
  } catch (e) {
    throw new Error(`the PostgreSQL CDC source needs the 'pg' package: ${(e as Error).message}`);
  }
  const Client = pg.Client ?? pg.default!.Client;
  const client = new Client({ connectionString: url });
  // A dropped connection surfaces on the next query; without a listener it would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export class PostgresChangeSource implements ChangeSource {
  readonly description: string;
  private client?: PgClient;
  private confirmed?: string;

  constructor(private readonly options: PostgresChangeSourceOptions) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/.test(options.table)) {
      throw new Error(`table '${options.table}' must be schema-qualified, e.g. public.transactions`);
    }
    this.description = `postgres:${redact(options.url)}/${options.table}`;
  }

  async open(): Promise<void> {
    const client = await connectPostgres(this.options.url);
    try {
      const { slot, publication } = this.options;
      const level = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0].wal_level;
      if (level !== 'logical') {
        throw new Error(`wal_level is '${level}'; logical replication needs 'logical' (run scripts/postgres-cdc-setup.sh)`);
      }
      const pub = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
      if (pub.rows.length === 0) throw new Error(`no publication '${publication}' (run scripts/postgres-cdc-setup.sh)`);
      const found = await client.query<{ plugin: string }>('SELECT plugin FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (found.rows.length === 0) {
        await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
      } else if (found.rows[0].plugin !== 'pgoutput') {
        throw new Error(`replication slot '${slot}' uses ${found.rows[0].plugin}, not pgoutput`);
      }
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    this.client = client;
    this.confirmed = await this.position();
  }

  async read(limit: number): Promise<ChangeBatch> {
    const client = this.connected();
    const { slot, publication, table } = this.options;
    const upto = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
    const { rows } = await client.query<{ data: Buffer }>(
      `SELECT data FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, $3,
         'proto_version', '1', 'publication_names', $4)`,
      [slot, upto, limit, publication],
    );
    const relations = new Map<number, PgRelation>();
    const changes: RowChange[] = [];
    let txn = '';
    let seq = 0;
    let lastEnd: string | undefined;
    const relationOf = (id: number): PgRelation | undefined => {
      const relation = relations.get(id);
      if (!relation) throw new Error(`pgoutput: change of relation ${id} before its description`);
      return `${relation.schema}.${relation.name}` === table ? relation : undefined;
    };
    const add = (kind: RowChange['kind'], row: Record<string, unknown>) => {
      changes.push({ kind, table, row, ref: `${txn}#${seq}`, logPosition: `${txn}:${seq}` });
    };
    for (const { data } of rows) {
      const m = decodePgOutput(data);
      if (m.tag === 'begin') [txn, seq] = [m.finalLsn, 0];
      else if (m.tag === 'commit') lastEnd = m.endLsn;
      else if (m.tag === 'relation') relations.set(m.relation.id, m.relation);
      else if (m.tag === 'insert' || m.tag === 'update' || m.tag === 'delete') {
        seq++;
        const relation = relationOf(m.relationId);
        if (!relation) continue;
        if (m.tag === 'insert') add('insert', rowOf(relation, m.row));
        // Unchanged TOAST values are absent from the new tuple: the old one (identity FULL) has them.
        else if (m.tag === 'update') add('update', { ...(m.old ? rowOf(relation, m.old) : {}), ...rowOf(relation, m.row) });
        else add('delete', rowOf(relation, m.old));
      }
    }
    const target = rows.length === 0 ? upto : lastEnd;
    return { changes, confirm: () => this.advance(target) };
  }

  async position(): Promise<string | undefined> {
    const { rows } = await this.connected().query<{ lsn: string | null }>(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [this.options.slot],
    );
    return rows[0]?.lsn ?? undefined;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async advance(to: string | undefined): Promise<void> {
    if (to === undefined || (this.confirmed !== undefined && lsnValue(to) <= lsnValue(this.confirmed))) return;
    await this.connected().query('SELECT pg_replication_slot_advance($1, $2::pg_lsn)', [this.options.slot, to]);
    this.confirmed = to;
  }

  private connected(): PgClient {
    if (!this.client) throw new Error(`${this.description} is not open`);
    return this.client;
  }
}

export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return `${u.host}${u.pathname}`;
  } catch {
    return 'postgres';
  }
}

/**
 * A decoder for PostgreSQL's pgoutput logical replication messages, protocol version 1 (the
 * "Logical Replication Message Formats" chapter of the PostgreSQL manual), as returned by
 * `pg_logical_slot_peek_binary_changes(slot, upto_lsn, upto_nchanges, 'proto_version', '1',
 * 'publication_names', ...)`: one message per row.
 *
 *   B  Begin     final (commit) LSN, commit time, xid
 *   C  Commit    flags, commit LSN, end LSN, commit time
 *   R  Relation  id, schema, name, replica identity, columns (sent before a relation's first change
 *                in every decoding session: each peek starts one)
 *   I  Insert    relation id, 'N' new tuple
 *   U  Update    relation id, optional 'K' key or 'O' old tuple, 'N' new tuple
 *   D  Delete    relation id, 'K' key or 'O' old tuple
 * Tuples hold each column as 'n' null, 'u' unchanged TOAST value, or 't' text. Origin, type and
 * truncate messages are decoded to their tag only; anything else is an error (better to stop than
 * to skip a change silently).
 */
export interface PgRelation {
  readonly id: number;
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly string[];
}

/** Column values in text form; null for SQL NULL; undefined for an unchanged TOAST value. */
export type PgTuple = ReadonlyArray<string | null | undefined>;

export type PgMessage =
  | { readonly tag: 'begin'; readonly finalLsn: string; readonly xid: number }
  | { readonly tag: 'commit'; readonly commitLsn: string; readonly endLsn: string }
  | { readonly tag: 'relation'; readonly relation: PgRelation }
  | { readonly tag: 'insert'; readonly relationId: number; readonly row: PgTuple }
  | { readonly tag: 'update'; readonly relationId: number; readonly old?: PgTuple; readonly row: PgTuple }
  | { readonly tag: 'delete'; readonly relationId: number; readonly old: PgTuple }
  | { readonly tag: 'other'; readonly type: string };

export function decodePgOutput(data: Buffer): PgMessage {
  const r = new Reader(data);
  const type = r.char();
  switch (type) {
    case 'B': {
      const finalLsn = r.lsn();
      r.skip(8); // commit timestamp
      return { tag: 'begin', finalLsn, xid: r.int32() };
    }
    case 'C': {
      r.skip(1); // flags
      const commitLsn = r.lsn();
      return { tag: 'commit', commitLsn, endLsn: r.lsn() };
    }
    case 'R': {
      const id = r.int32();
      const schema = r.cstring();
      const name = r.cstring();
      r.skip(1); // replica identity setting
      const n = r.int16();
      const columns: string[] = [];
      for (let i = 0; i < n; i++) {
        r.skip(1); // flags (part of the key)
        columns.push(r.cstring());
        r.skip(8); // type oid, type modifier
      }
      return { tag: 'relation', relation: { id, schema, name, columns } };
    }
    case 'I': {
      const relationId = r.int32();
      r.expect('N');
      return { tag: 'insert', relationId, row: r.tuple() };
    }
    case 'U': {
      const relationId = r.int32();
      let kind = r.char();
      let old: PgTuple | undefined;
      if (kind === 'K' || kind === 'O') {
        old = r.tuple();
        kind = r.char();
      }
      if (kind !== 'N') throw new Error(`pgoutput: update without a new tuple (got '${kind}')`);
      return { tag: 'update', relationId, old, row: r.tuple() };
    }
    case 'D': {
      const relationId = r.int32();
      const kind = r.char();
      if (kind !== 'K' && kind !== 'O') throw new Error(`pgoutput: delete without an old tuple (got '${kind}')`);
      return { tag: 'delete', relationId, old: r.tuple() };
    }
    case 'O':
    case 'Y':
    case 'T':
      return { tag: 'other', type };
    default:
      throw new Error(`pgoutput: unknown message type '${type}'`);
  }
}

/** A tuple as `{ column: value }` by its relation; unchanged TOAST values are left out. */
export function rowOf(relation: PgRelation, tuple: PgTuple): Record<string, string | null> {
  const row: Record<string, string | null> = {};
  relation.columns.forEach((column, i) => {
    const value = tuple[i];
    if (value !== undefined) row[column] = value;
  });
  return row;
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  char(): string {
    this.need(1);
    return String.fromCharCode(this.buf[this.at++]);
  }
  expect(c: string): void {
    const got = this.char();
    if (got !== c) throw new Error(`pgoutput: expected '${c}', got '${got}'`);
  }
  skip(n: number): void {
    this.need(n);
    this.at += n;
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  /** An LSN as PostgreSQL prints it: `X/Y`, hex, upper case. */
  lsn(): string {
    const hi = this.int32() >>> 0;
    const lo = this.int32() >>> 0;
    return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.at);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const s = this.buf.toString('utf8', this.at, end);
    this.at = end + 1;
    return s;
  }
  tuple(): PgTuple {
    const n = this.int16();
    const values: Array<string | null | undefined> = [];
    for (let i = 0; i < n; i++) {
      const kind = this.char();
      if (kind === 'n') values.push(null);
      else if (kind === 'u') values.push(undefined);
      else if (kind === 't') {
        const len = this.int32();
        this.need(len);
        values.push(this.buf.toString('utf8', this.at, this.at + len));
        this.at += len;
      } else throw new Error(`pgoutput: unknown column kind '${kind}'`);
    }
    return values;
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new Error('pgoutput: message truncated');
  }
}

import { expect } from 'chai';
import { decodePgOutput, rowOf } from '../../../adapters/cdc/pgoutput.js';
import { lsnValue } from '../../../adapters/cdc/PostgresChangeSource.js';

/** Builds a pgoutput message the way the server writes it (big-endian, NUL-terminated strings). */
class Msg {
  private readonly parts: Buffer[] = [];
  char(c: string) { this.parts.push(Buffer.from(c, 'latin1')); return this; }
  int8(n: number) { this.parts.push(Buffer.from([n])); return this; }
  int16(n: number) { const b = Buffer.alloc(2); b.writeInt16BE(n); this.parts.push(b); return this; }
  int32(n: number) { const b = Buffer.alloc(4); b.writeInt32BE(n); this.parts.push(b); return this; }
  int64(hi: number, lo: number) { return this.int32(hi).int32(lo); }
  str(s: string) { this.parts.push(Buffer.from(`${s}\0`, 'utf8')); return this; }
  tuple(values: Array<string | null | undefined>) {
    this.int16(values.length);
    for (const v of values) {
      if (v === null) this.char('n');
      else if (v === undefined) this.char('u');
      else { const b = Buffer.from(v, 'utf8'); this.char('t').int32(b.length); this.parts.push(b); }
    }
    return this;
  }
  get buffer() { return Buffer.concat(this.parts); }
}

const relation = new Msg().char('R').int32(16389).str('public').str('transactions').int8(102).int16(3)
  .int8(1).str('id').int32(20).int32(-1)
  .int8(0).str('user_id').int32(25).int32(-1)
  .int8(0).str('merchant').int32(25).int32(-1).buffer;

describe('pgoutput decoding (protocol version 1)', () => {
  it('decodes begin, relation, insert, update, delete and commit', () => {
    expect(decodePgOutput(new Msg().char('B').int64(0, 0x021ad538).int64(1, 2).int32(733).buffer))
      .to.deep.equal({ tag: 'begin', finalLsn: '0/21AD538', xid: 733 });
    const r = decodePgOutput(relation);
    expect(r).to.deep.equal({ tag: 'relation', relation: { id: 16389, schema: 'public', name: 'transactions', columns: ['id', 'user_id', 'merchant'] } });
    const rel = (r as { relation: Parameters<typeof rowOf>[0] }).relation;

    const ins = decodePgOutput(new Msg().char('I').int32(16389).char('N').tuple(['1', 'zoë', null]).buffer);
    expect(ins).to.deep.equal({ tag: 'insert', relationId: 16389, row: ['1', 'zoë', null] });
    const upd = decodePgOutput(new Msg().char('U').int32(16389).char('O').tuple(['1', 'zoë', 'it\'s']).char('N').tuple(['1', 'zoë', undefined]).buffer);
    expect(upd).to.deep.equal({ tag: 'update', relationId: 16389, old: ['1', 'zoë', 'it\'s'], row: ['1', 'zoë', undefined] });
    // An unchanged TOAST value is left out of the row (the source fills it from the old tuple).
    if (upd.tag !== 'update') throw new Error('not an update');
    expect(rowOf(rel, upd.row)).to.deep.equal({ id: '1', user_id: 'zoë' });
    const updNoOld = decodePgOutput(new Msg().char('U').int32(16389).char('N').tuple(['2', 'a', 'b']).buffer);
    expect(updNoOld).to.deep.equal({ tag: 'update', relationId: 16389, old: undefined, row: ['2', 'a', 'b'] });
    expect(decodePgOutput(new Msg().char('D').int32(16389).char('K').tuple(['1', null, null]).buffer))
      .to.deep.equal({ tag: 'delete', relationId: 16389, old: ['1', null, null] });
    expect(decodePgOutput(new Msg().char('C').int8(0).int64(0, 0x021ad538).int64(0, 0x021ad568).int64(1, 2).buffer))
      .to.deep.equal({ tag: 'commit', commitLsn: '0/21AD538', endLsn: '0/21AD568' });
    expect(decodePgOutput(new Msg().char('Y').int32(1).buffer)).to.deep.equal({ tag: 'other', type: 'Y' });
  });

  it('refuses what it does not understand instead of skipping a change', () => {
    expect(() => decodePgOutput(new Msg().char('X').buffer)).to.throw("unknown message type 'X'");
    expect(() => decodePgOutput(new Msg().char('I').int32(1).char('N').int16(1).char('t').int32(10).buffer)).to.throw('truncated');
    expect(() => decodePgOutput(new Msg().char('I').int32(1).char('N').int16(1).char('b').buffer)).to.throw("unknown column kind 'b'");
    expect(() => decodePgOutput(new Msg().char('D').int32(1).char('N').buffer)).to.throw('delete without an old tuple');
  });

  it('orders LSNs numerically, not as text', () => {
    expect(lsnValue('0/A0') > lsnValue('0/9F')).to.equal(true);
    expect(lsnValue('1/0') > lsnValue('0/FFFFFFFF')).to.equal(true);
  });
});

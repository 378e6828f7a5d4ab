import { expect } from 'chai';
import { SqliteStateStore } from '../../../adapters/sqlite/SqliteStateStore.js';
import type { OutboxRecord, SnapshotWrite } from '../../../src/store/StateStore.js';

const outboxRows = (n: number, from = 0): OutboxRecord[] =>
  Array.from({ length: n }, (_, i) => ({ topic: `t${(from + i) % 3}`, key: `k${from + i}`, value: `{"n":${from + i}}`, headers: (from + i) % 2 ? { h: 'v' } : ({} as Record<string, string>), ...((from + i) % 5 === 0 ? { partition: 2 } : {}) }));

describe('SqliteStateStore', () => {
  it('stores a commit of many rows (several INSERTs of a chunk and single ones) and returns each row its sequence number', () => {
    const store = new SqliteStateStore(':memory:');
    const stage = store.stage('spec.stage');
    const first = stage.commit({ snapshots: [], outbox: outboxRows(3), offsets: [] });
    const outbox = outboxRows(150, 3);
    const snapshots: SnapshotWrite[] = Array.from({ length: 130 }, (_, i) => ({ key: `s${i}`, snapshot: `{"v":${i}}`, seen: `["e${i}"]` }));
    // The same key twice in one commit: the later write wins.
    snapshots.push({ key: 's7', snapshot: '{"v":"later"}', seen: '[]' });
    const seqs = stage.commit({ snapshots, outbox, offsets: [{ topic: 'in', partition: 0, offset: 42 }] });
    expect(seqs).to.have.length(150);
    const pending = stage.pendingOutbox();
    expect(pending.map((r) => r.seq)).to.deep.equal([...first, ...seqs]);
    expect(pending.slice(3).map(({ seq: _, ...r }) => r)).to.deep.equal(outbox);
    expect(stage.loadSnapshot('s129')).to.deep.equal({ snapshot: '{"v":129}', seen: '["e129"]' });
    expect(stage.loadSnapshot('s7')).to.deep.equal({ snapshot: '{"v":"later"}', seen: '[]' });
    expect(stage.offsets([{ topic: 'in', partition: 0 }]).get('in/0')).to.equal(42);
    stage.deleteOutbox(seqs);
    expect(stage.pendingOutbox().map((r) => r.seq)).to.deep.equal(first);
    store.close();
  });
});

import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FileSink } from '../../../adapters/sinks/FileSink.js';
import { SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { listSinkFiles } from '../../../src/batch/readSinkFiles.js';
import type { BrokerRecord } from '../../../src/broker/Record.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import type { BatchContext } from '../../../src/host/Stage.js';
import { waitFor } from '../../support/waitFor.js';
import { FileSinkFixture, SINK, T0, sinkRecord, sinkTopic } from './FileSinkFixture.js';

const stored = (p: { store: SqliteStateStore }, partition: number) =>
  p.store.stage(SINK).offsets([{ topic: sinkTopic.name, partition }]).get(`${sinkTopic.name}/${partition}`);

describe('file sink', function () {
  this.timeout(20_000);
  let f: FileSinkFixture;
  beforeEach(() => (f = new FileSinkFixture()));

  it('writes one record a line under <topic>/dt=/hour=, values parsed when JSON, raw otherwise', async () => {
    const p = await f.start();
    await f.produce([0, 3, 4].map((i) => ({ ...sinkRecord(i), key: 'same', timestamp: T0 + 5 * 60_000 })));
    await f.drain(p);
    const files = listSinkFiles(f.root, sinkTopic.name);
    expect(files).to.have.length(1);
    const name = `${sinkTopic.name}+${files[0].partition}+0000000000+0000000002.jsonl`;
    expect(relative(f.root, files[0].path)).to.equal(join(sinkTopic.name, 'dt=2026-01-01', 'hour=10', name));
    const lines = readFileSync(files[0].path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).to.deep.equal({
      topic: sinkTopic.name, partition: files[0].partition, offset: 0, key: 'same', timestamp: T0 + 300_000,
      headers: { source: 's0' }, value: { id: 'e0', type: 'spec.happened', n: 0 },
    });
    expect(lines[1].value).to.equal('raw line 3');
    expect(lines.map((l) => l.offset)).to.deep.equal([0, 1, 2]);
    await f.cleanup(p);
  });

  it('rotates by size (no file over flushSizeBytes) and by UTC hour; names hold first and last offsets', async () => {
    const p = await f.start({ flushSizeBytes: 400 });
    // Partition of key 'same': 60 records over two hours, 1 minute apart.
    await f.produce(Array.from({ length: 60 }, (_, i) => ({ ...sinkRecord(i), key: 'same', timestamp: T0 + 30 * 60_000 + i * 60_000 })));
    await f.drain(p);
    const files = listSinkFiles(f.root, sinkTopic.name);
    expect(files.length).to.be.greaterThan(10);
    let next = 0;
    for (const file of files) {
      expect(statSync(file.path).size).to.be.at.most(400);
      expect(file.startOffset).to.equal(next);
      const lines = readFileSync(file.path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.offset)).to.deep.equal(Array.from({ length: file.endOffset - file.startOffset + 1 }, (_, i) => file.startOffset + i));
      for (const l of lines) expect(new Date(l.timestamp).toISOString().slice(11, 13)).to.equal(file.hour);
      next = file.endOffset + 1;
    }
    expect(next).to.equal(60);
    expect(new Set(files.map((x) => x.hour))).to.deep.equal(new Set(['10', '11']));
    // Offset 29 is 10:59, 30 is 11:00: the hour boundary is a file boundary.
    expect(files.some((x) => x.endOffset === 29)).to.equal(true);
    await f.cleanup(p);
  });

  it('keeps the stored offset at the start of the file in progress; the idle flush commits it on the clock', async () => {
    const p = await f.start({ rotateIntervalMs: 60_000 });
    await f.produce([0, 1, 2].map((i) => ({ ...sinkRecord(i), key: 'same', timestamp: T0 })));
    await f.waitWritten(p);
    const partition = p.sink.buffered()[0].partition;
    await waitFor(() => stored(p, partition) !== undefined);
    expect(stored(p, partition)).to.equal(0);
    expect(listSinkFiles(f.root, sinkTopic.name)).to.have.length(0);
    f.clock.advance(59_999);
    expect(listSinkFiles(f.root, sinkTopic.name)).to.have.length(0);
    f.clock.advance(1);
    expect(listSinkFiles(f.root, sinkTopic.name).map((x) => [x.startOffset, x.endOffset])).to.deep.equal([[0, 2]]);
    expect(stored(p, partition)).to.equal(3);
    expect(f.tempFiles()).to.deep.equal([]);
    // The next record opens a new file, rotated at the first batch after the interval.
    await f.produce([{ ...sinkRecord(3), key: 'same', timestamp: T0 }]);
    await f.waitWritten(p);
    f.clock.advance(30_000);
    await f.produce([{ ...sinkRecord(4), key: 'same', timestamp: T0 }]);
    await f.waitWritten(p);
    expect(listSinkFiles(f.root, sinkTopic.name)).to.have.length(1);
    f.clock.advance(30_000);
    expect(listSinkFiles(f.root, sinkTopic.name).map((x) => [x.startOffset, x.endOffset])).to.deep.equal([[0, 2], [3, 4]]);
    await f.cleanup(p);
  });

  it('undoes a batch on abort: the file in progress goes back to what it held', () => {
    const db = openDatabase(join(f.dir, 'unit.db'));
    const store = new SqliteStateStore(db).stage(SINK);
    const clock = new VirtualClock(T0);
    const sink = new FileSink({ name: SINK, root: f.root, topics: [sinkTopic.name], db, clock, flushSizeBytes: 400 });
    const records: BrokerRecord[] = Array.from({ length: 8 }, (_, i) => {
      const r = sinkRecord(i);
      return { topic: r.topic, partition: 0, offset: i, key: r.key, value: r.value, headers: r.headers ?? {}, timestamp: T0 };
    });
    const context: BatchContext = { skip: new Set(), deadLetter: () => undefined };
    const commit = (batch: BrokerRecord[]) => {
      const work = sink.process(batch, context);
      store.commit({ snapshots: [], outbox: [], offsets: [{ topic: sinkTopic.name, partition: 0, offset: work.offset ?? batch.at(-1)!.offset + 1 }] }, work.extra);
      work.committed?.();
    };
    commit(records.slice(0, 2));
    const temp = join(f.root, '+tmp', SINK, `${sinkTopic.name}+0+0.jsonl.tmp`);
    const before = readFileSync(temp, 'utf8');
    sink.process(records.slice(2), context); // rotates at least once: seals the temp file, opens others
    expect(f.tempFiles().length).to.be.greaterThan(1);
    sink.abort();
    expect(readFileSync(temp, 'utf8')).to.equal(before);
    expect(f.tempFiles()).to.deep.equal([`${sinkTopic.name}+0+0.jsonl.tmp`]);
    commit(records.slice(2));
    clock.advance(10 * 60_000);
    const offsets = listSinkFiles(f.root, sinkTopic.name)
      .flatMap((x) => readFileSync(x.path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).offset as number));
    expect(offsets).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    sink.close();
    db.close();
    return f.cleanup();
  });
});

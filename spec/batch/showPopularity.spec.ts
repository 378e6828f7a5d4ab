import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listSinkFiles, runBatchJob, showPopularity } from '../../src/batch/index.js';
import { SHOW_POSITION_TOPIC } from '../../src/batch/showPopularity.js';
import { SINK_TMP_DIR, bucketOf, bucketPath, encodeLine, sinkFileName } from '../../src/batch/sinkFileLayout.js';
import type { BrokerRecord } from '../../src/broker/Record.js';

const topic = SHOW_POSITION_TOPIC;
const DAY1 = Date.parse('2026-01-01T20:00:00Z');
const DAY2 = Date.parse('2026-01-02T08:00:00Z');

type Position = [userId: string, showId: string, episodeId: string, positionSec: number, durationSec: number];

/** Writes committed files in the sink's layout: one file per call, offsets continuing per partition. */
function writer(root: string) {
  const next = new Map<number, number>();
  return (partition: number, timestamp: number, values: Array<Position | string>) => {
    const start = next.get(partition) ?? 0;
    const records: BrokerRecord[] = values.map((v, i) => ({
      topic, partition, offset: start + i, key: Array.isArray(v) ? v[0] : null, headers: {}, timestamp,
      value: Array.isArray(v)
        ? JSON.stringify({ id: `p${partition}-${start + i}`, type: 'movieflix.position_recorded', key: v[0], at: new Date(timestamp).toISOString(),
          userId: v[0], showId: v[1], episodeId: v[2], positionSec: v[3], durationSec: v[4] })
        : v,
    }));
    const end = start + values.length - 1;
    next.set(partition, end + 1);
    const dir = join(root, bucketPath(topic, bucketOf(timestamp)));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, sinkFileName({ topic, partition, startOffset: start, endOffset: end })), records.map(encodeLine).join(''));
  };
}

describe('batch job: show popularity over the file sink', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kastor-batch-'));
    const write = writer(root);
    write(0, DAY1, [
      ['u1', 's1', 'e1', 100, 1000],
      ['u1', 's1', 'e1', 960, 1000], // finished
      ['u2', 's1', 'e1', 500, 1000],
    ]);
    write(0, DAY1 + 3_600_000, [
      ['u1', 's1', 'e1', 990, 1000], // finished again: the same (user, episode)
      ['u3', 's1', 'e2', 950, 1000], // exactly 95 %: finished
      'not an event',
    ]);
    write(1, DAY1, [['u1', 's2', 'e1', 999, 1000], ['u4', 's2', 'e1', 10, 1000], ['u2', 's1', 'e3', 0, 1000]]);
    write(1, DAY2, [['u5', 's3', 'e1', 1000, 1000]]);
    // In progress and foreign files are not read.
    mkdirSync(join(root, SINK_TMP_DIR, 'x'), { recursive: true });
    writeFileSync(join(root, SINK_TMP_DIR, 'x', `${topic}+0+6.jsonl.tmp`), encodeLine({ topic, partition: 0, offset: 6, key: 'u9', headers: {}, timestamp: DAY1,
      value: JSON.stringify({ userId: 'u9', showId: 's9', episodeId: 'e', positionSec: 1, durationSec: 1 }) }));
    writeFileSync(join(root, bucketPath(topic, bucketOf(DAY1)), '_SUCCESS'), '');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('counts distinct viewers and finished episodes per show', async () => {
    const result = await showPopularity(root);
    expect(result.shows).to.deep.equal([
      { showId: 's1', viewers: 3, finishes: 2, positions: 6 },
      { showId: 's2', viewers: 2, finishes: 1, positions: 2 },
      { showId: 's3', viewers: 1, finishes: 1, positions: 1 },
    ]);
    expect([result.records, result.skipped]).to.deep.equal([10, 1]);
  });

  it('reads only the days asked for', async () => {
    expect(listSinkFiles(root, topic, { from: '2026-01-02' }).map((f) => f.dt)).to.deep.equal(['2026-01-02']);
    const day1 = await showPopularity(root, { from: '2026-01-01', to: '2026-01-01' });
    expect(day1.shows.map((s) => s.showId)).to.deep.equal(['s1', 's2']);
    expect(() => listSinkFiles(root, topic, { from: '01/01/2026' })).to.throw(/YYYY-MM-DD/);
  });

  it('runs by name for the CLI and writes its rows as JSON Lines', async () => {
    const out = join(root, 'out', 'show_popularity.jsonl');
    const r = await runBatchJob('show-popularity', { root, out });
    expect(r).to.deep.equal({ job: 'show-popularity', rows: 3, records: 10, skipped: 1, files: 4, out });
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows[0]).to.deep.equal({ showId: 's1', viewers: 3, finishes: 2, positions: 6 });
    await runBatchJob('nope', { root, out }).then(() => expect.fail('should throw'), (e: Error) => expect(e.message).to.include('show-popularity'));
  });
});

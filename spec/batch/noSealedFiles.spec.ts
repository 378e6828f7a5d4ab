import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatchJob } from '../../src/batch/index.js';
import { SHOW_POSITION_TOPIC } from '../../src/batch/showPopularity.js';
import { SINK_TMP_DIR, bucketOf, bucketPath, sinkFileName } from '../../src/batch/sinkFileLayout.js';

const topic = SHOW_POSITION_TOPIC;

describe('batch job with no sealed file to read', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'kastor-unsealed-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('says where it looked, what is still in progress and when files seal', async () => {
    // A file the sink is still writing: under +tmp, named as FileSink names it.
    mkdirSync(join(root, SINK_TMP_DIR, 'movieflix.files'), { recursive: true });
    writeFileSync(join(root, SINK_TMP_DIR, 'movieflix.files', `${topic}+0+0.jsonl.tmp`), '{}\n');
    const r = await runBatchJob('show-popularity', { root, out: join(root, 'out.jsonl') });
    expect(r).to.deep.include({ rows: 0, files: 0 });
    expect(r.note).to.include(join(root, topic)).and.include('1 file(s) of it are still in progress')
      .and.include('10 minutes after opening it');
  });

  it('says nothing more once a sealed file is there', async () => {
    const dir = join(root, bucketPath(topic, bucketOf(Date.parse('2026-01-01T20:00:00Z'))));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, sinkFileName({ topic, partition: 0, startOffset: 0, endOffset: 0 })), '');
    const r = await runBatchJob('show-popularity', { root, out: join(root, 'out.jsonl') });
    expect(r.files).to.equal(1);
    expect(r.note).to.equal(undefined);
  });
});

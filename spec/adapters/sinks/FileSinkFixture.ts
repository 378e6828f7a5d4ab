/**
 * A file sink under the runtime on the memory broker, that specs can kill and start again on the
 * same broker, state file and root, as a process restarted by its supervisor. The sink runs on a
 * VirtualClock (time rotation and idle flush move only when a spec says so); the runners on the
 * system clock.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { FileSink, type FileSinkFaultHook } from '../../../adapters/sinks/FileSink.js';
import { SqliteStateStore, openDatabase, type SqliteDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { type SinkRecord, listSinkFiles, readSinkFile } from '../../../src/batch/readSinkFiles.js';
import { SINK_TMP_DIR } from '../../../src/batch/sinkFileLayout.js';
import type { OutgoingRecord } from '../../../src/broker/Record.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { VirtualClock } from '../../../src/clock/VirtualClock.js';
import { zodEventSchema } from '../../../src/events/EventSchema.js';
import type { FaultHook } from '../../../src/host/CommitStep.js';
import { Runtime } from '../../../src/host/Runtime.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { DAY, declareTopic, topicSpec } from '../../../src/topics/TopicDeclaration.js';
import { waitFor } from '../../support/waitFor.js';

export const sinkTopic = declareTopic('tracking', 'spec', 'sink_input', {
  partitions: 3, key: 'k', retentionMs: DAY, schema: zodEventSchema(z.unknown()),
});
export const SINK = 'spec.files';
export const T0 = Date.parse('2026-01-01T10:00:00Z');

export interface SinkProcess {
  readonly runtime: Runtime;
  readonly store: SqliteStateStore;
  readonly db: SqliteDatabase;
  readonly sink: FileSink;
}

export interface StartOptions {
  readonly faults?: FaultHook;
  readonly fileFaults?: FileSinkFaultHook;
  readonly flushSizeBytes?: number;
  readonly rotateIntervalMs?: number;
  readonly maxBatchSize?: number;
}

/** Record `i`: key k(i mod 9), every 10th value not JSON, timestamps 2 minutes apart from T0. */
export function sinkRecord(i: number): OutgoingRecord {
  return {
    topic: sinkTopic.name,
    key: `k${i % 9}`,
    value: i % 10 === 3 ? `raw line ${i}` : JSON.stringify({ id: `e${i}`, type: 'spec.happened', n: i }),
    headers: i % 4 === 0 ? { source: `s${i}` } : {},
    timestamp: T0 + i * 120_000,
  };
}

export class FileSinkFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'kastor-filesink-'));
  readonly root = join(this.dir, 'files');
  readonly broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
  readonly clock = new VirtualClock(T0);
  private seed = 1;

  async start(options: StartOptions = {}): Promise<SinkProcess> {
    const db = openDatabase(join(this.dir, 'state.db'));
    const store = new SqliteStateStore(db);
    const sink = new FileSink({
      name: SINK, root: this.root, topics: [sinkTopic.name], db, clock: this.clock,
      flushSizeBytes: options.flushSizeBytes ?? 1_000, rotateIntervalMs: options.rotateIntervalMs ?? 60_000,
      faults: options.fileFaults,
    });
    const runtime = new Runtime([{ name: 'spec', topics: [sinkTopic], entities: [], stages: [sink] }], {
      broker: this.broker, store, clock: new SystemClock(), ids: seededIdSource(this.seed++),
      maxBatchSize: options.maxBatchSize ?? 7, backoffMs: () => 1, faults: options.faults,
    });
    await runtime.start();
    return { runtime, store, db, sink };
  }

  async produce(records: readonly OutgoingRecord[]): Promise<void> {
    await this.broker.admin.createTopics([topicSpec(sinkTopic, 'local')]);
    const producer = this.broker.producer();
    await producer.send(records);
    await producer.close();
  }

  /** High watermark per partition. */
  async highs(): Promise<number[]> {
    return Promise.all([0, 1, 2].map(async (partition) => (await this.broker.admin.watermarks({ topic: sinkTopic.name, partition })).high));
  }

  /** Waits until every record is in a committed file or the file in progress. */
  async waitWritten(p: SinkProcess): Promise<void> {
    const highs = await this.highs();
    const written = (partition: number) => {
      const open = p.sink.buffered().find((b) => b.partition === partition);
      if (open) return open.lastOffset + 1;
      const files = p.sink.manifest.files(sinkTopic.name).filter((f) => f.partition === partition);
      return files.length ? files[files.length - 1].endOffset + 1 : 0;
    };
    await waitFor(() => highs.every((h, partition) => written(partition) >= h), {
      message: () => `written ${[0, 1, 2].map(written)} of ${highs}`,
    });
  }

  /** Waits for everything written, then lets the idle flush commit the files in progress. */
  async drain(p: SinkProcess, rotateIntervalMs = 60_000): Promise<void> {
    await this.waitWritten(p);
    this.clock.advance(rotateIntervalMs);
  }

  /** Every line of every committed file of the topic. */
  async lines(): Promise<SinkRecord[]> {
    const out: SinkRecord[] = [];
    for (const f of listSinkFiles(this.root, sinkTopic.name)) for await (const r of readSinkFile(f.path)) out.push(r);
    return out;
  }

  tempFiles(): string[] {
    return readdirSync(join(this.root, SINK_TMP_DIR, SINK));
  }

  async kill(p: SinkProcess): Promise<void> {
    await p.runtime.kill();
    p.store.close();
    p.db.close();
  }

  async cleanup(...processes: SinkProcess[]): Promise<void> {
    for (const p of processes) {
      await p.runtime.stop().catch(() => undefined);
      if (p.db.open) p.db.close();
    }
    await this.broker.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The file sink (SPEC §3, big-data ingestion): a sink connector from any topics to files in
 * object-store layout, as Kafka Connect's S3 sink does. It is a Stage (src/host/Stage.ts); the file
 * layout and line format are in src/batch/sinkFileLayout.ts, its commit log in FileSinkManifest.ts.
 *
 * Per partition, records are appended to ONE file in progress under `<root>/+tmp/<stage>/`. The
 * file is sealed (fsynced) when the next record belongs to another UTC hour, would take it over
 * `flushSizeBytes`, arrives `rotateIntervalMs` (injected clock) after the file was opened, or is
 * stamped `rotateIntervalMs` after the file's first record (Kafka Connect's `rotate.interval.ms`:
 * a file written again after a crash rotates where it did before, so repeated crashes cannot keep
 * a file open, and the stored offset behind, for ever).
 * A sealed file is committed in the batch's store transaction, as a manifest row beside the
 * partition's offset, and renamed to its final name only after that commit. The offset the stage
 * hands the runner (`BatchWork.offset`) is the first offset of the file still in progress, so the
 * stored offset never passes what committed files hold. Every crash point:
 *   - before the commit: the temp files are discarded on start and the runner re-reads their
 *     records from the stored offset (never written to a final file: no duplicate);
 *   - between the commit and the rename: on start the manifest's un-renamed rows are rolled
 *     forward (temp fsynced before the commit → rename); the runner does not re-read them;
 *   - between the rename and marking the row renamed: the start-up check finds the final file.
 * So a final file is always committed, and each record is in exactly one final file.
 *
 * Time rotation when no record arrives (idle flush): the runner only calls the stage on a batch, so
 * the sink arms a timer on the clock per file in progress and, when it fires, seals the file and
 * commits manifest row + offset itself, through its own handle on the same state store (one
 * synchronous transaction, so it cannot interleave with a batch's steps 1–3). The runtime change
 * that would make this the runner's job is described in docs/ingestion.md.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrokerRecord } from '../../src/broker/Record.js';
import { tpKey } from '../../src/broker/Record.js';
import { type SinkBucket, SINK_TMP_DIR, bucketOf, bucketPath, encodeLine, sameBucket, sinkFileName } from '../../src/batch/sinkFileLayout.js';
import type { Clock, TimerHandle } from '../../src/clock/Clock.js';
import { SimulatedCrash } from '../../src/host/CommitStep.js';
import type { BatchContext, BatchWork, Stage } from '../../src/host/Stage.js';
import { type Logger, silentLogger } from '../../src/log/Logger.js';
import type { StageStore } from '../../src/store/StateStore.js';
import { type SqliteDatabase, SqliteStateStore } from '../sqlite/SqliteStateStore.js';
import { durableRename, fsyncFile } from './durableFiles.js';
import { type CommittedFile, FileSinkManifest, type SealedFile } from './FileSinkManifest.js';

/** Points inside the sink's own file steps at which specs inject a crash. */
export type FileSinkStep = 'appended' | 'sealed' | 'committed' | 'renamed';
export type FileSinkFaultHook = (step: FileSinkStep, file: { topic: string; partition: number; startOffset: number }) => void;

export interface FileSinkOptions {
  /** Stage name (and consumer group `kastor.<name>`), e.g. `movieflix.files`. */
  readonly name: string;
  readonly root: string;
  readonly topics: readonly string[];
  /** The state database: the manifest commits with the offsets. */
  readonly db: SqliteDatabase;
  readonly clock: Clock;
  /** A file is sealed before a record would take it over this size (default 16 MiB). */
  readonly flushSizeBytes?: number;
  /** A file is sealed this long after it was opened, records or not (default 10 minutes). */
  readonly rotateIntervalMs?: number;
  readonly faults?: FileSinkFaultHook;
  readonly logger?: Logger;
}

interface OpenFile {
  readonly temp: string;
  readonly bucket: SinkBucket;
  readonly startOffset: number;
  readonly openedAt: number;
  /** Timestamp of its first record. */
  readonly firstTimestamp: number;
  lastOffset: number;
  records: number;
  bytes: number;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  open?: OpenFile;
  timer?: TimerHandle;
  timerFor?: string;
  /** Last offset written to a file since the partition was assigned. */
  written?: number;
}

/** What the current batch did, to undo on abort or publish once committed. */
interface Inflight {
  readonly state: PartitionState;
  readonly before?: OpenFile;
  readonly writtenBefore?: number;
  readonly created: string[];
  readonly sealed: SealedFile[];
}

export class FileSink implements Stage {
  readonly name: string;
  readonly topics: readonly string[];
  readonly root: string;
  readonly manifest: FileSinkManifest;
  private readonly clock: Clock;
  private readonly store: StageStore;
  private readonly flushSizeBytes: number;
  private readonly rotateIntervalMs: number;
  private readonly tmpDir: string;
  private readonly log: Logger;
  private readonly partitions = new Map<string, PartitionState>();
  private inflight?: Inflight;

  constructor(private readonly options: FileSinkOptions) {
    this.name = options.name;
    this.topics = options.topics;
    this.root = options.root;
    this.clock = options.clock;
    this.flushSizeBytes = options.flushSizeBytes ?? 16 * 1024 * 1024;
    this.rotateIntervalMs = options.rotateIntervalMs ?? 10 * 60_000;
    this.log = (options.logger ?? silentLogger).child({ stage: options.name });
    this.tmpDir = join(SINK_TMP_DIR, options.name);
    this.manifest = new FileSinkManifest(options.db, options.name);
    this.store = new SqliteStateStore(options.db).stage(options.name);
    mkdirSync(join(this.root, this.tmpDir), { recursive: true });
    this.rollForward(this.manifest.unrenamed());
  }

  process(records: readonly BrokerRecord[], context: BatchContext): BatchWork {
    const state = this.partition(records[0].topic, records[0].partition);
    const flight: Inflight = { state, before: state.open && { ...state.open }, writtenBefore: state.written, created: [], sealed: [] };
    this.inflight = flight;
    let lines: string[] = [];
    const write = () => {
      if (state.open && lines.length > 0) appendFileSync(this.abs(state.open.temp), lines.join(''));
      lines = [];
    };
    for (const record of records) {
      if (context.skip.has(record.offset)) continue;
      // Delivered again within the assignment (the runner's cursor follows the stored offset, the
      // start of the file in progress, so it lets such a batch through): already in a file.
      if (state.written !== undefined && record.offset <= state.written) continue;
      const bucket = bucketOf(record.timestamp);
      const line = encodeLine(record);
      const size = Buffer.byteLength(line);
      if (state.open && this.mustRotate(state.open, bucket, size, record.timestamp)) {
        write();
        flight.sealed.push(this.seal(state.open, state));
        state.open = undefined;
      }
      if (!state.open) {
        state.open = this.create(state, record.offset, bucket, record.timestamp);
        flight.created.push(state.open.temp);
      }
      lines.push(line);
      state.open.lastOffset = record.offset;
      state.written = record.offset;
      state.open.records++;
      state.open.bytes += size;
    }
    write();
    if (state.open) this.fault('appended', state, state.open.startOffset);
    const at = this.clock.now();
    return {
      // Records of the file in progress are read again after a restart: the stored offset stays at its start.
      offset: state.open?.startOffset,
      extra: (tx) => { for (const file of flight.sealed) this.manifest.insert(tx, file, at); },
      committed: () => this.committed(flight),
    };
  }

  abort(): void {
    const flight = this.inflight;
    if (!flight) return;
    this.inflight = undefined;
    for (const temp of flight.created) rmSync(this.abs(temp), { force: true });
    if (flight.before) truncateSync(this.abs(flight.before.temp), flight.before.bytes);
    flight.state.open = flight.before && { ...flight.before };
    flight.state.written = flight.writtenBefore;
  }

  /** Forgets the partition; its temp file is left for the next owner's start-up to discard. */
  revoked(topic: string, partition: number): void {
    const key = tpKey({ topic, partition });
    const state = this.partitions.get(key);
    if (!state) return;
    if (state.timer !== undefined) this.clock.clearTimeout(state.timer);
    if (this.inflight?.state === state) this.inflight = undefined;
    this.partitions.delete(key);
  }

  close(): void {
    for (const state of [...this.partitions.values()]) this.revoked(state.topic, state.partition);
  }

  /** Files in progress: records read but not committed yet. */
  buffered(): Array<{ topic: string; partition: number; startOffset: number; lastOffset: number; records: number }> {
    return [...this.partitions.values()].flatMap((s) => s.open
      ? [{ topic: s.topic, partition: s.partition, startOffset: s.open.startOffset, lastOffset: s.open.lastOffset, records: s.open.records }]
      : []);
  }

  /** First use of a partition since start or assignment: finish committed renames, drop the rest. */
  private partition(topic: string, partition: number): PartitionState {
    const key = tpKey({ topic, partition });
    let state = this.partitions.get(key);
    if (state) return state;
    this.rollForward(this.manifest.unrenamed().filter((f) => f.topic === topic && f.partition === partition));
    const prefix = `${topic}+${partition}+`;
    for (const name of readdirSync(join(this.root, this.tmpDir))) {
      if (name.startsWith(prefix)) rmSync(join(this.root, this.tmpDir, name), { force: true });
    }
    state = { topic, partition };
    this.partitions.set(key, state);
    return state;
  }

  private mustRotate(open: OpenFile, bucket: SinkBucket, size: number, timestamp: number): boolean {
    return !sameBucket(open.bucket, bucket)
      || open.bytes + size > this.flushSizeBytes
      || this.clock.now() - open.openedAt >= this.rotateIntervalMs
      || timestamp - open.firstTimestamp >= this.rotateIntervalMs;
  }

  private create(state: PartitionState, startOffset: number, bucket: SinkBucket, firstTimestamp: number): OpenFile {
    const temp = join(this.tmpDir, `${state.topic}+${state.partition}+${startOffset}.jsonl.tmp`);
    writeFileSync(this.abs(temp), '');
    return { temp, bucket, startOffset, openedAt: this.clock.now(), firstTimestamp, lastOffset: startOffset, records: 0, bytes: 0 };
  }

  private seal(open: OpenFile, state: PartitionState): SealedFile {
    fsyncFile(this.abs(open.temp));
    const file: SealedFile = {
      topic: state.topic, partition: state.partition, startOffset: open.startOffset, endOffset: open.lastOffset,
      records: open.records, bytes: open.bytes, temp: open.temp,
      path: join(bucketPath(state.topic, open.bucket), sinkFileName({ topic: state.topic, partition: state.partition, startOffset: open.startOffset, endOffset: open.lastOffset })),
    };
    this.fault('sealed', state, open.startOffset);
    return file;
  }

  private committed(flight: Inflight): void {
    this.inflight = undefined;
    for (const file of flight.sealed) {
      this.fault('committed', flight.state, file.startOffset);
      this.publish(file);
    }
    this.arm(flight.state);
  }

  /** The atomic step that makes a committed file visible to readers. */
  private publish(file: SealedFile): void {
    durableRename(this.abs(file.temp), this.abs(file.path));
    this.fault('renamed', file, file.startOffset);
    this.manifest.markRenamed(file);
  }

  private rollForward(files: readonly CommittedFile[]): void {
    for (const file of files) {
      if (existsSync(this.abs(file.temp))) {
        this.log.info('finishing the rename of a file committed before a crash', { path: file.path });
        this.publish(file);
      } else if (existsSync(this.abs(file.path))) {
        this.manifest.markRenamed(file);
      } else {
        throw new Error(`file sink ${this.name}: committed file ${file.path} is lost (neither it nor ${file.temp} exists)`);
      }
    }
  }

  /** One idle-flush timer per file in progress, due when the file is `rotateIntervalMs` old. */
  private arm(state: PartitionState): void {
    if (state.timer !== undefined && state.timerFor !== state.open?.temp) {
      this.clock.clearTimeout(state.timer);
      state.timer = undefined;
    }
    if (!state.open || state.timer !== undefined) return;
    const temp = state.open.temp;
    const due = Math.max(0, state.open.openedAt + this.rotateIntervalMs - this.clock.now());
    state.timerFor = temp;
    state.timer = this.clock.setTimeout(() => this.idleFlush(state, temp), due);
  }

  private idleFlush(state: PartitionState, temp: string): void {
    if (state.timerFor === temp) state.timer = undefined;
    const open = state.open;
    if (this.partitions.get(tpKey(state)) !== state || open?.temp !== temp || this.inflight) return;
    if (this.clock.now() - open.openedAt < this.rotateIntervalMs) return this.arm(state);
    let file: SealedFile;
    try {
      file = this.seal(open, state);
      const at = this.clock.now();
      this.store.commit({ snapshots: [], outbox: [], offsets: [{ topic: state.topic, partition: state.partition, offset: file.endOffset + 1 }] },
        (tx) => this.manifest.insert(tx, file, at));
    } catch (e) {
      if (e instanceof SimulatedCrash) throw e;
      // The file stays in progress: the next batch rotates it, or this timer tries again.
      this.log.warn('idle flush failed', { error: e, temp });
      state.timerFor = temp;
      state.timer = this.clock.setTimeout(() => this.idleFlush(state, temp), this.rotateIntervalMs);
      return;
    }
    state.open = undefined;
    this.fault('committed', state, file.startOffset);
    this.publish(file);
  }

  private fault(step: FileSinkStep, tp: { topic: string; partition: number }, startOffset: number): void {
    this.options.faults?.(step, { topic: tp.topic, partition: tp.partition, startOffset });
  }

  private abs(relative: string): string {
    return join(this.root, relative);
  }
}

export type { CommittedFile, SealedFile };

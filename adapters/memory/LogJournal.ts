/**
 * Persistence of the `memory` adapter of the broker port (`src/broker/Broker.ts`), used when the
 * broker is given a `dir`. Layout of that directory:
 *
 *   topics.json                 {"version":1,"topics":[TopicSpec, ...]}
 *   logs/<topic>-<partition>.jsonl
 *                               one record per line: {"offset","timestamp","key","value","headers"?}
 *                               optionally preceded (after a maintenance rewrite) by one header line
 *                               {"logStartOffset":n,"nextOffset":m}
 *   groups/<encoded group id>.json
 *                               {"version":1,"groupId":..., "offsets":{"<topic>/<partition>":n}}
 *                               (rewritten at most once a second: MemoryGroupCoordinator.ts says why)
 *
 * Records are appended with `fs.appendFileSync` before the producer's `send` resolves, so anything
 * confirmed survives the process being killed (the page cache holds it; no fsync, so a power cut
 * is another matter). Whole files (topics, groups, rewritten journals) are written to a temp file
 * and renamed over the old one. A journal whose last line was torn by a crash is cut back to its
 * last complete line on load.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TopicSpec } from '../../src/broker/Broker.js';
import type { BrokerRecord, Headers } from '../../src/broker/Record.js';
import { EMPTY_HEADERS, type PartitionLogState } from './PartitionLog.js';

interface JournalLine {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers?: Headers;
}

interface JournalHeader {
  readonly logStartOffset: number;
  readonly nextOffset: number;
}

const line = (r: BrokerRecord): string => {
  const entry: JournalLine =
    r.headers === EMPTY_HEADERS || Object.keys(r.headers).length === 0
      ? { offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value }
      : { offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers };
  return JSON.stringify(entry) + '\n';
};

/** Open journal descriptors at most: 30-partition topics of several apps would pass ulimit -n. */
const MAX_OPEN = 128;
/** Characters written at a time by a rewrite, so that a large log never becomes one string. */
const REWRITE_CHUNK = 1 << 20;

export class LogJournal {
  private readonly logsDir: string;
  private readonly groupsDir: string;
  /** Open append descriptors, one per partition journal. */
  private readonly fds = new Map<string, number>();

  constructor(readonly dir: string) {
    this.logsDir = path.join(dir, 'logs');
    this.groupsDir = path.join(dir, 'groups');
    fs.mkdirSync(this.logsDir, { recursive: true });
    fs.mkdirSync(this.groupsDir, { recursive: true });
  }

  loadTopics(): TopicSpec[] {
    const file = path.join(this.dir, 'topics.json');
    if (!fs.existsSync(file)) return [];
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { topics: TopicSpec[] }).topics;
  }

  saveTopics(specs: readonly TopicSpec[]): void {
    writeAtomically(path.join(this.dir, 'topics.json'), JSON.stringify({ version: 1, topics: specs }, null, 2));
  }

  loadPartition(topic: string, partition: number): PartitionLogState | undefined {
    const file = this.logFile(topic, partition);
    if (!fs.existsSync(file)) return undefined;
    let text = fs.readFileSync(file, 'utf8');
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      // A crash in the middle of an append: that batch was never confirmed, drop its torn tail.
      fs.truncateSync(file, Buffer.byteLength(text.slice(0, end)));
      text = text.slice(0, end);
    }
    let logStartOffset = 0;
    let nextOffset = 0;
    const records: BrokerRecord[] = [];
    let from = 0;
    while (from < text.length) {
      const to = text.indexOf('\n', from);
      const parsed = JSON.parse(text.slice(from, to)) as JournalLine | JournalHeader;
      from = to + 1;
      if ('logStartOffset' in parsed) {
        logStartOffset = parsed.logStartOffset;
        nextOffset = parsed.nextOffset;
        continue;
      }
      records.push({
        topic,
        partition,
        offset: parsed.offset,
        key: parsed.key,
        value: parsed.value,
        headers: parsed.headers ?? EMPTY_HEADERS,
        timestamp: parsed.timestamp,
      });
    }
    return { logStartOffset, nextOffset, records };
  }

  /** Appends records of one partition; returns once the bytes are handed to the OS. */
  append(topic: string, partition: number, records: readonly BrokerRecord[]): void {
    if (records.length === 0) return;
    let text = '';
    for (const r of records) text += line(r);
    fs.appendFileSync(this.fd(topic, partition), text);
  }

  /** Replaces a partition's journal with what its log holds now (after retention or compaction). */
  rewrite(
    topic: string,
    partition: number,
    state: { logStartOffset: number; nextOffset: number; records: readonly BrokerRecord[] },
  ): void {
    this.closeFd(topic, partition);
    const file = this.logFile(topic, partition);
    const temp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      const header: JournalHeader = { logStartOffset: state.logStartOffset, nextOffset: state.nextOffset };
      let chunk = JSON.stringify(header) + '\n';
      for (const r of state.records) {
        chunk += line(r);
        if (chunk.length >= REWRITE_CHUNK) {
          fs.writeSync(fd, chunk);
          chunk = '';
        }
      }
      fs.writeSync(fd, chunk);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  }

  deletePartition(topic: string, partition: number): void {
    this.closeFd(topic, partition);
    fs.rmSync(this.logFile(topic, partition), { force: true });
  }

  loadGroups(): Map<string, Map<string, number>> {
    const groups = new Map<string, Map<string, number>>();
    for (const name of fs.readdirSync(this.groupsDir)) {
      if (!name.endsWith('.json')) continue;
      const saved = JSON.parse(fs.readFileSync(path.join(this.groupsDir, name), 'utf8')) as {
        groupId: string;
        offsets: Record<string, number>;
      };
      groups.set(saved.groupId, new Map(Object.entries(saved.offsets)));
    }
    return groups;
  }

  saveGroup(groupId: string, offsets: ReadonlyMap<string, number>): void {
    const file = path.join(this.groupsDir, `${encodeURIComponent(groupId).replace(/\./g, '%2E')}.json`);
    writeAtomically(file, JSON.stringify({ version: 1, groupId, offsets: Object.fromEntries(offsets) }));
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }

  private logFile(topic: string, partition: number): string {
    return path.join(this.logsDir, `${topic}-${partition}.jsonl`);
  }

  /** The append descriptor of a journal; the least recently used is closed past `MAX_OPEN`. */
  private fd(topic: string, partition: number): number {
    const key = `${topic}-${partition}`;
    let fd = this.fds.get(key);
    if (fd !== undefined) {
      this.fds.delete(key);
    } else {
      if (this.fds.size >= MAX_OPEN) {
        const [oldest, oldestFd] = this.fds.entries().next().value as [string, number];
        fs.closeSync(oldestFd);
        this.fds.delete(oldest);
      }
      fd = fs.openSync(this.logFile(topic, partition), 'a');
    }
    this.fds.set(key, fd);
    return fd;
  }

  private closeFd(topic: string, partition: number): void {
    const key = `${topic}-${partition}`;
    const fd = this.fds.get(key);
    if (fd !== undefined) fs.closeSync(fd);
    this.fds.delete(key);
  }
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
}

/**
 * Reads the file sink's committed files back (the slow layer of SPEC §3's big-data ingestion):
 * lists `<root>/<topic>/dt=YYYY-MM-DD/hour=HH/` files (layout in sinkFileLayout.ts), optionally within a
 * range of days, and yields their records. Only committed files have final names, so a listing is
 * exact: no record twice, none in progress. Files are streamed line by line; memory does not grow
 * with their size.
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type SinkFileName, type SinkLine, parseSinkFileName } from './sinkFileLayout.js';

export interface SinkFileRef extends SinkFileName {
  readonly path: string;
  readonly dt: string;
  readonly hour: string;
}

export interface DayRange {
  /** First day, `YYYY-MM-DD` (UTC), inclusive. */
  readonly from?: string;
  /** Last day, inclusive. */
  readonly to?: string;
}

export interface SinkRecord extends SinkLine {
  /** The file it came from. */
  readonly file: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Committed files of a topic in the range, by day, hour, partition and offset. */
export function listSinkFiles(root: string, topic: string, range: DayRange = {}): SinkFileRef[] {
  for (const [what, day] of [['from', range.from], ['to', range.to]] as const) {
    if (day !== undefined && !DAY.test(day)) throw new Error(`${what} must be a day YYYY-MM-DD, not '${day}'`);
  }
  const topicDir = join(root, topic);
  if (!existsSync(topicDir)) return [];
  const files: SinkFileRef[] = [];
  for (const dtDir of readdirSync(topicDir)) {
    const dt = dtDir.startsWith('dt=') ? dtDir.slice(3) : undefined;
    if (!dt || !DAY.test(dt)) continue;
    if ((range.from && dt < range.from) || (range.to && dt > range.to)) continue;
    for (const hourDir of readdirSync(join(topicDir, dtDir))) {
      const hour = hourDir.startsWith('hour=') ? hourDir.slice(5) : undefined;
      if (!hour || !/^\d{2}$/.test(hour)) continue;
      for (const name of readdirSync(join(topicDir, dtDir, hourDir))) {
        const parsed = parseSinkFileName(name);
        if (!parsed || parsed.topic !== topic) continue;
        files.push({ ...parsed, dt, hour, path: join(topicDir, dtDir, hourDir, name) });
      }
    }
  }
  return files.sort((a, b) => a.dt.localeCompare(b.dt) || a.hour.localeCompare(b.hour)
    || a.partition - b.partition || a.startOffset - b.startOffset);
}

/** Every record of the topic's committed files in the range. */
export async function* readSinkFiles(root: string, topic: string, range: DayRange = {}): AsyncGenerator<SinkRecord> {
  for (const file of listSinkFiles(root, topic, range)) yield* readSinkFile(file.path);
}

export async function* readSinkFile(path: string): AsyncGenerator<SinkRecord> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.length === 0) continue;
    let parsed: SinkLine;
    try {
      parsed = JSON.parse(line) as SinkLine;
    } catch (e) {
      throw new Error(`${path}:${n} is not a sink line: ${(e as Error).message}`);
    }
    yield { ...parsed, file: path };
  }
}

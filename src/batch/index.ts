/**
 * The batch jobs over the file sink's files, by name, for the CLI:
 *   kastor batch <job> [--root ./data/files] [--out file|-] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 * A job reads the committed files under `root` and writes its rows as JSON Lines to `out`
 * (atomically: a temp file renamed over the target, so a reader never sees half a result).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DayRange } from './readSinkFiles.js';
import { noSealedFilesNote } from './noSealedFiles.js';
import { listSinkFiles } from './readSinkFiles.js';
import { SHOW_POSITION_TOPIC, showPopularity } from './showPopularity.js';

export { listSinkFiles, readSinkFile, readSinkFiles, type DayRange, type SinkFileRef, type SinkRecord } from './readSinkFiles.js';
export { filesInProgress, noSealedFilesNote } from './noSealedFiles.js';
export { showPopularity, type ShowPopularity, type ShowPopularityResult } from './showPopularity.js';

export interface BatchJobOptions extends DayRange {
  /** Root of the file sink. */
  readonly root: string;
  /** Output file, or `-` for standard output. */
  readonly out: string;
}

export interface BatchJobResult {
  readonly job: string;
  readonly rows: number;
  /** Records read from the files. */
  readonly records: number;
  readonly skipped: number;
  /** Sealed files read. */
  readonly files: number;
  readonly out: string;
  /** Why there is nothing to read yet, when no sealed file was found. */
  readonly note?: string;
}

interface Job {
  /** The topic whose sink files the job reads. */
  readonly topic: string;
  run(options: BatchJobOptions): Promise<{ rows: readonly unknown[]; records: number; skipped: number }>;
}

export const BATCH_JOBS: Readonly<Record<string, Job>> = {
  'show-popularity': {
    topic: SHOW_POSITION_TOPIC,
    run: async (o) => {
      const r = await showPopularity(o.root, { from: o.from, to: o.to });
      return { rows: r.shows, records: r.records, skipped: r.skipped };
    },
  },
};

export async function runBatchJob(name: string, options: BatchJobOptions): Promise<BatchJobResult> {
  const job = BATCH_JOBS[name];
  if (!job) throw new Error(`unknown batch job '${name}' (known: ${Object.keys(BATCH_JOBS).join(', ')})`);
  const files = listSinkFiles(options.root, job.topic, { from: options.from, to: options.to }).length;
  const result = await job.run(options);
  const text = result.rows.map((row) => JSON.stringify(row) + '\n').join('');
  if (options.out === '-') {
    process.stdout.write(text);
  } else {
    mkdirSync(dirname(options.out), { recursive: true });
    const temp = `${options.out}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, options.out);
  }
  return {
    job: name, rows: result.rows.length, records: result.records, skipped: result.skipped, files, out: options.out,
    ...(files === 0 ? { note: noSealedFilesNote(options.root, job.topic) } : {}),
  };
}

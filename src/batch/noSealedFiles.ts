/**
 * What a batch job says when it found no sealed file to read: a job reads only the file sink's
 * committed (sealed) files, and a file in progress is sealed only later, so a job run right after
 * the first records arrived finds nothing and would otherwise print nothing at all.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SINK_TMP_DIR } from './sinkFileLayout.js';

/** The file sink's default `rotateIntervalMs` (adapters/sinks/FileSink.ts). */
const ROTATE_MINUTES = 10;

/** Files of `topic` still in progress under `<root>/+tmp/<stage>/`. */
export function filesInProgress(root: string, topic: string): number {
  const tmp = join(root, SINK_TMP_DIR);
  if (!existsSync(tmp)) return 0;
  let count = 0;
  for (const stage of readdirSync(tmp, { withFileTypes: true })) {
    if (!stage.isDirectory()) continue;
    count += readdirSync(join(tmp, stage.name)).filter((name) => name.startsWith(`${topic}+`)).length;
  }
  return count;
}

export function noSealedFilesNote(root: string, topic: string): string {
  const inProgress = filesInProgress(root, topic);
  const where = join(root, topic);
  const found = inProgress > 0
    ? `${inProgress} file(s) of it are still in progress under ${join(root, SINK_TMP_DIR)}`
    : `nor any file in progress under ${join(root, SINK_TMP_DIR)} (is --root the sink's root, <data>/files?)`;
  return `kastor: no sealed file of ${topic} under ${where} yet, ${found}. `
    + `The file sink seals a file ${ROTATE_MINUTES} minutes after opening it, when its UTC hour ends or at 16 MiB, `
    + 'and batch jobs read sealed files only: run the job again after that (stopping `kastor run` does not seal a file).';
}

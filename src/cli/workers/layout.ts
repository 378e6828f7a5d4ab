/**
 * Where worker threads keep their state under the data directory, and how many there are. Worker i
 * of N owns partition p of every stage when p mod N = i, so its file holds those partitions' state
 * and offsets for good: the count is recorded beside them (`workers`), and a later start with
 * another count is refused rather than read the wrong files. One worker keeps `state.db`, the
 * single-threaded layout.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function workerStateFile(dataDir: string, worker: number, workers: number): string {
  return workers === 1 ? join(dataDir, 'state.db') : join(dataDir, `state-${worker}-of-${workers}.db`);
}

/**
 * The main thread's own file when workers run the stages: what the process itself keeps beside
 * them (a CDC source's position, a batch job's last result), never a stage's state.
 */
export function processStateFile(dataDir: string): string {
  return join(dataDir, 'process.db');
}

export function workerStateFiles(dataDir: string, workers: number): string[] {
  return Array.from({ length: workers }, (_, i) => workerStateFile(dataDir, i, workers));
}

export class WorkerCountMismatch extends Error {
  constructor(readonly dataDir: string, readonly recorded: number, readonly requested: number) {
    super(
      `${dataDir} holds the state of ${recorded} worker${recorded === 1 ? '' : 's'} (each owns its partitions' state): ` +
        `run with --workers ${recorded}, or give a new --data directory for ${requested}`,
    );
    this.name = 'WorkerCountMismatch';
  }
}

/**
 * The number of workers to run: the one asked for on a new data directory; the recorded one when
 * none was asked for explicitly (`explicit` false: the default, the number of cores). Throws
 * WorkerCountMismatch when an explicit count differs from the recorded one.
 */
export function settleWorkerCount(dataDir: string, requested: number, explicit: boolean): number {
  const marker = join(dataDir, 'workers');
  let recorded: number | undefined;
  if (existsSync(marker)) recorded = Number(readFileSync(marker, 'utf8').trim());
  else if (existsSync(join(dataDir, 'state.db'))) recorded = 1; // written before workers existed
  if (recorded !== undefined && Number.isInteger(recorded) && recorded > 0) {
    if (recorded !== requested && explicit) throw new WorkerCountMismatch(dataDir, recorded, requested);
    if (!existsSync(marker)) writeFileSync(marker, `${recorded}\n`);
    return recorded;
  }
  writeFileSync(marker, `${requested}\n`);
  return requested;
}

/**
 * The file-system steps a sink's atomic commit relies on: fsync of a file's data before it is
 * committed, and an atomic rename made durable by an fsync of the directory that holds the new
 * name (POSIX; skipped where the platform cannot open a directory).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';

export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fsyncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Renames `from` to `to` (atomic on one file system), creating `to`'s directory, durably. */
export function durableRename(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  renameSync(from, to);
  fsyncDirectory(dirname(to));
}

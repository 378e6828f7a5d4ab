/** Structured JSON logs, one object a line (SPEC §4). */
import { isoAt } from '../clock/Clock.js';
import { SystemClock } from '../clock/SystemClock.js';

const wallClock = new SystemClock();
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

type Level = 'info' | 'warn' | 'error';

export function jsonLogger(
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  now: () => string = () => isoAt(wallClock),
  base: Record<string, unknown> = {},
): Logger {
  const log = (level: Level) => (message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ time: now(), level, message, ...base, ...fields }, errorReplacer));
  return {
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => jsonLogger(write, now, { ...base, ...fields }),
  };
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/**
 * Turns one log line into the parts of a `log.line` event. Two shapes:
 *  - JSON lines (kastor's own, pino, bunyan, logstash...): time from `time|timestamp|at|@timestamp|ts`
 *    (ISO string, epoch ms or epoch seconds), level from `level|severity|lvl|levelname` (names or
 *    pino's numbers), message from `message|msg`; every other field is kept in `fields`;
 *  - plain text: an optional leading timestamp (`2026-01-01T12:00:00Z`, `2026-01-01 12:00:00,123`,
 *    in brackets or not; no zone means UTC) and an optional level word, then the message.
 * A part that is not recognised stays where it was (in `fields` or in the message): nothing is lost.
 */
import type { LogLevel } from '../../../actors/ops/events.js';

export interface ParsedLogLine {
  readonly at?: string;
  readonly level?: LogLevel;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

const TIME_KEYS = ['time', 'timestamp', 'at', '@timestamp', 'ts'];
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'levelname'];
const MESSAGE_KEYS = ['message', 'msg'];

const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = {
  trace: 'trace', debug: 'debug', info: 'info', information: 'info', notice: 'info',
  warn: 'warn', warning: 'warn', error: 'error', err: 'error',
  fatal: 'fatal', critical: 'fatal', crit: 'fatal', alert: 'fatal', emerg: 'fatal', panic: 'fatal',
};
/** pino and bunyan. */
const LEVEL_NUMBERS: Readonly<Record<number, LogLevel>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

const STAMP = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\]?\s+/;
/** A level word in brackets (any case), or in capitals: `Error handling x` stays a message. */
const LEVEL = /^(?:\[([A-Za-z]+)\]|(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT))(?::\s*|\s+|$)/;

export function parseLogLine(text: string): ParsedLogLine {
  if (text.trimStart().startsWith('{')) {
    const json = tryJson(text);
    if (json) return fromJson(json);
  }
  return fromText(text);
}

export function normalizeLevel(raw: unknown): LogLevel | undefined {
  if (typeof raw === 'number') return LEVEL_NUMBERS[raw];
  if (typeof raw === 'string') return LEVEL_NAMES[raw.trim().toLowerCase()];
  return undefined;
}

function fromJson(json: Record<string, unknown>): ParsedLogLine {
  const fields: Record<string, unknown> = { ...json };
  let at: string | undefined;
  let level: LogLevel | undefined;
  let message = '';
  for (const k of TIME_KEYS) {
    if (!(k in fields)) continue;
    at = toIso(fields[k]);
    if (at) {
      delete fields[k];
      break;
    }
  }
  for (const k of LEVEL_KEYS) {
    if (!(k in fields)) continue;
    level = normalizeLevel(fields[k]);
    if (level) {
      delete fields[k];
      break;
    }
  }
  for (const k of MESSAGE_KEYS) {
    if (typeof fields[k] === 'string') {
      message = fields[k] as string;
      delete fields[k];
      break;
    }
  }
  return { ...(at ? { at } : {}), ...(level ? { level } : {}), message, ...(Object.keys(fields).length > 0 ? { fields } : {}) };
}

function fromText(text: string): ParsedLogLine {
  let rest = text;
  let at: string | undefined;
  const stamp = STAMP.exec(rest);
  if (stamp) {
    at = toIso(stamp[1].replace(' ', 'T').replace(',', '.'));
    if (at) rest = rest.slice(stamp[0].length);
  }
  let level: LogLevel | undefined;
  const word = LEVEL.exec(rest);
  if (word) {
    level = normalizeLevel(word[1] ?? word[2]);
    if (level) rest = rest.slice(word[0].length);
  }
  return { ...(at ? { at } : {}), ...(level ? { level } : {}), message: rest };
}

function toIso(value: unknown): string | undefined {
  let ms: number;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value > 1e11 ? value : value * 1_000;
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) ms = Date.parse(withZone(value));
  else return undefined;
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** ISO times without a zone are UTC here (Date.parse would take them as local time). */
function withZone(iso: string): string {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (m && /T.*[+-]\d{2}:?\d{2}$/.test(iso)) return iso.slice(0, m.index) + `${m[1]}${m[2]}:${m[3]}`;
  return /Z$/i.test(iso) ? iso : iso + 'Z';
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

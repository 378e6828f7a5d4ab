/**
 * The `Logger` port on pino: JSON lines (`time` ISO 8601, `level` as a label, `message`), child
 * loggers through pino's `child` (bindings serialized once), secrets redacted by pino's `redact`
 * (fast-redact paths, compiled once), errors under `error` serialized with name, message and stack.
 * pino replaced a hand-written JSON-lines logger: levels, redaction and safe serialization
 * (cycles, errors with causes) are what its users expect and what ours lacked.
 */
import { type DestinationStream, type Level, type Logger as Pino, type LoggerOptions, pino } from 'pino';
import type { LogFields, Logger } from './Logger.js';

export interface LoggerSetup {
  /** Default: `KASTOR_LOG_LEVEL`, else `info`. */
  readonly level?: string;
  /** Where lines go: a function (called synchronously with each line, no newline) or a stream. Default: stderr, synchronous. */
  readonly destination?: ((line: string) => void) | DestinationStream;
  /** The `time` of each line; default the wall clock. Specs pin it. */
  readonly now?: () => string;
  /** Fields on every line. */
  readonly base?: LogFields;
}

/** A `Logger` that also hands out its pino instance, for libraries that take one (fastify's `loggerInstance`). */
export interface PinoLogger extends Logger {
  readonly pino: Pino;
}

export const LOG_LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Values at these paths are replaced by `[Redacted]`. */
const SECRET_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization', '*.*.headers.authorization',
  'cookie', 'headers.cookie', '*.headers.cookie', '*.*.headers.cookie', 'token', '*.token', 'ticket', '*.ticket',
  'password', '*.password', 'secret', '*.secret', 'key',
];
/**
 * Values at these paths are URLs: the password in a connection URL is masked, and so are a
 * `ticket` or `token` in a query string (the alert stream's `?ticket=`).
 */
const URL_KEYS = new Set(['url', 'uri', 'dsn', 'connectionString', 'databaseUrl']);
const URL_PATHS = [...URL_KEYS].flatMap((k) => [k, `*.${k}`]);

export function createLogger(setup: LoggerSetup = {}): PinoLogger {
  const level = setup.level ?? process.env.KASTOR_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new Error(`log level "${level}" (KASTOR_LOG_LEVEL) is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const now = setup.now;
  const options: LoggerOptions = {
    level,
    messageKey: 'message',
    base: setup.base ? { ...setup.base } : undefined,
    timestamp: now ? () => `,"time":${JSON.stringify(now())}` : pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { error: serializeError, err: serializeError },
    redact: { paths: [...SECRET_PATHS, ...URL_PATHS], censor },
  };
  return port(pino(options, destination(setup.destination)));
}

function destination(to: LoggerSetup['destination']): DestinationStream {
  if (to === undefined) return pino.destination({ dest: 2, sync: true });
  if (typeof to !== 'function') return to;
  return { write: (chunk: string) => to(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) };
}

function port(p: Pino): PinoLogger {
  const at = (level: Level) => (message: string, fields?: LogFields) => {
    if (fields) p[level](fields, message);
    else p[level](message);
  };
  return {
    pino: p,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => port(p.child(fields)),
  };
}

/** pino's error serializer (type, message with causes, stack, own properties), plus `name`. */
function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return { name: value.name, ...pino.stdSerializers.err(value) };
}

function censor(value: unknown, path: string[]): unknown {
  if (!URL_KEYS.has(path[path.length - 1])) return '[Redacted]';
  return typeof value === 'string' ? withoutPassword(value) : value;
}

function withoutPassword(text: string): string {
  const masked = text.replace(/([?&](?:ticket|token|access_token)=)[^&#]*/gi, '$1***');
  let url: URL;
  try {
    url = new URL(masked);
  } catch {
    return masked; // a path such as `/metrics`: nothing more to hide
  }
  if (!url.password) return masked;
  url.password = '***';
  return url.toString();
}

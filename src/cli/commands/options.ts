/**
 * Options and arguments that several `kastor` commands share, with commander parsers that reject a
 * bad value with one clear line (commander prints it and the command's help; main exits 2).
 */
import { Argument, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_RATE_LIMITS, parseRateLimits } from '../../http/auth/index.js';
import { parseDuration } from '../simulateCommand.js';

export const DEFAULT_BROKERS = '127.0.0.1:9092';
export type Transport = 'memory' | 'kafka';

/** Ends a command with this exit code once its output is written (`run` never calls it). */
export type Finish = (code: number) => void;

export function appsArgument(known: readonly string[]): Argument {
  return new Argument('[apps...]', 'applications (default: all)').choices([...known, 'all']);
}

export function transportOption(): Option {
  return new Option('--transport <name>', 'the log the actors read and write: the embedded journal, or Kafka')
    .choices(['memory', 'kafka'])
    .default('memory');
}

export function brokersOption(): Option {
  return new Option('--brokers <host:port>', 'Kafka bootstrap servers, comma-separated (with --transport kafka)')
    .default(DEFAULT_BROKERS)
    .argParser(parseBrokers);
}

export function profileOption(description: string): Option {
  return new Option('--profile <name>', description).choices(['local', 'production']).default('local');
}

export function dataOption(): Option {
  return new Option('--data <dir>', 'data directory (state database, journal, sink files)').default('./data');
}

export function parseBrokers(value: string): string {
  const ok = value.split(',').every((b) => /^[^\s:,]+:\d{1,5}$/.test(b.trim()));
  if (!ok) throw new InvalidArgumentError(`expected host:port[,host:port...], not '${value}'.`);
  return value;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError(`expected a port number 0-65535, not '${value}'.`);
  return port;
}

/** A whole number >= `min`. */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}, not '${value}'.`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, not '${value}'.`);
  return n;
}

export function parseDurationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
}

export function parseDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError(`expected a day YYYY-MM-DD, not '${value}'.`);
  }
  return value;
}

/** `--auth-key` (docs/security.md); without it, the data directory's embedded HS256 key. */
export function authKeyOption(): Option {
  return new Option('--auth-key <file>', 'PEM key (Ed25519 or P-256) that signs and verifies tokens (default: the HS256 key made under --data)')
    .env('KASTOR_AUTH_KEY_FILE');
}

export function authPreviousKeyOption(): Option {
  return new Option('--auth-previous-key <file>', 'PEM key being rotated out: its tokens are still accepted until they expire')
    .env('KASTOR_AUTH_PREVIOUS_KEY_FILE');
}

export function rateLimitOption(): Option {
  const defaults = Object.entries(DEFAULT_RATE_LIMITS).map(([role, l]) => `${role}=${l === 'off' ? 'off' : `${l.perSecond}/${l.burst}`}`).join(',');
  return new Option('--rate-limit <role=perSecond/burst,...>', `writes per second and burst per subject, by role (or role=off); default ${defaults}`)
    .env('KASTOR_RATE_LIMIT')
    .default(DEFAULT_RATE_LIMITS, defaults)
    .argParser((value: string) => {
      try {
        return parseRateLimits(value);
      } catch (e) {
        throw new InvalidArgumentError(`${(e as Error).message}.`);
      }
    });
}

/**
 * The logging port: structured logs, one JSON object a line (SPEC §4). Code below the CLI logs
 * through this interface only; `createLogger` (pino) implements it at the edge, `silentLogger`
 * where nobody reads the logs.
 */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (a stage, a connector, a service). */
  child(fields: LogFields): Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/**
 * Where the kafka adapter reports what it cannot throw: librdkafka's `event.error` and
 * `event.log`, failed background commits, undeliverable fire-and-forget records. librdkafka
 * keeps retrying on its own (a broker down for a while is not fatal), so these are logged and
 * never thrown from an event handler.
 */
export type KafkaLogFields = Readonly<Record<string, unknown>>;

export interface KafkaLogger {
  error(message: string, fields?: KafkaLogFields): void;
  warn(message: string, fields?: KafkaLogFields): void;
  info(message: string, fields?: KafkaLogFields): void;
}

const line =
  (level: string) =>
  (message: string, fields: KafkaLogFields = {}): void => {
    // One JSON object per line on stderr, the shape the process's own logs use.
    console.error(JSON.stringify({ level, component: 'kafka', message, ...fields }));
  };

export const consoleKafkaLogger: KafkaLogger = {
  error: line('error'),
  warn: line('warn'),
  info: line('info'),
};

/**
 * How often an application's file sink seals its files (FileSink `rotateIntervalMs`, Kafka
 * Connect's `rotate.interval.ms`), from KASTOR_FILE_SINK_ROTATE_MS. Shorter files are fresher for
 * the batch layer, and cheaper to rewrite after a crash (a sink re-reads the records of the file it
 * had in progress); a simulation, which crashes hundreds of times an hour, seals them every minute.
 */
export function fileSinkRotation(env: Readonly<Record<string, string | undefined>>, fallbackMs?: number): number | undefined {
  const raw = env.KASTOR_FILE_SINK_ROTATE_MS;
  if (raw === undefined || raw === '') return fallbackMs;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`KASTOR_FILE_SINK_ROTATE_MS must be a positive integer (ms), not '${raw}'`);
  return ms;
}

/**
 * Something a process runs beside its stages: a source connector, a metrics collector, a batch job.
 * `kastor run` starts them once the stages run and stops them before the stages; a simulation does
 * the same under its virtual clock.
 */
export interface BackgroundService {
  readonly name: string;
  /**
   * Where it runs when worker threads run the stages (`kastor run --workers N`): `process` (the
   * default) once, in the main thread — a source that produces records must not run twice;
   * `everywhere` in the main thread and in every worker — a job whose result the stages read as
   * well as the routes (each worker reads every worker's file through unionReadConnection).
   */
  readonly runs?: 'process' | 'everywhere';
  start(): Promise<void>;
  /** Drains: finishes what is in flight and stores its position. */
  stop(): Promise<void>;
}

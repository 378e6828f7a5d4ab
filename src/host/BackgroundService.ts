/**
 * Something a process runs beside its stages: a source connector, a metrics collector, a batch job.
 * `kastor run` starts them once the stages run and stops them before the stages; a simulation does
 * the same under its virtual clock.
 */
export interface BackgroundService {
  readonly name: string;
  start(): Promise<void>;
  /** Drains: finishes what is in flight and stores its position. */
  stop(): Promise<void>;
}

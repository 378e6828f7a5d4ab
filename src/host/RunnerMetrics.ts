import type { Metrics } from '../metrics/Metrics.js';

/**
 * The series every stage reports (SPEC §1, §4): events in and out, batch duration, DLQ, restarts.
 * Each is bound to the stage's label set once: updated per batch, never looked up per call.
 */
export class RunnerMetrics {
  private readonly eventsIn;
  private readonly eventsOut;
  private readonly batchDuration;
  private readonly deadLetters;
  private readonly restarts;

  constructor(metrics: Metrics, stage: string) {
    const labels = { stage };
    const names = ['stage'];
    this.eventsIn = metrics.counter('kastor_events_in_total', 'Records consumed and committed', names).labels(labels);
    this.eventsOut = metrics.counter('kastor_events_out_total', 'Records written to the outbox', names).labels(labels);
    this.batchDuration = metrics
      .histogram('kastor_batch_duration_seconds', 'Time from batch receipt to store commit', names)
      .labels(labels);
    this.deadLetters = metrics.counter('kastor_dead_letters_total', 'Records sent to the dead-letter topic', names).labels(labels);
    this.restarts = metrics.counter('kastor_restarts_total', 'Batch retries after a failure', names).labels(labels);
  }

  batch(records: number, outbox: number, latencyMs: number): void {
    this.eventsIn(records);
    this.eventsOut(outbox);
    this.batchDuration(latencyMs / 1_000);
  }

  deadLettered(n: number): void {
    if (n > 0) this.deadLetters(n);
  }

  restart(): void {
    this.restarts();
  }
}

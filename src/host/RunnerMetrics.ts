import type { Metrics } from '../metrics/Metrics.js';

/** The series every stage reports (SPEC §1, §4): events in and out, batch latency, DLQ, restarts. */
export class RunnerMetrics {
  private readonly labels: { stage: string };
  private readonly eventsIn;
  private readonly eventsOut;
  private readonly batchLatency;
  private readonly deadLetters;
  private readonly restarts;

  constructor(metrics: Metrics, stage: string) {
    this.labels = { stage };
    this.eventsIn = metrics.counter('kastor_events_in_total', 'Records consumed and committed');
    this.eventsOut = metrics.counter('kastor_events_out_total', 'Records written to the outbox');
    this.batchLatency = metrics.summary('kastor_batch_latency_ms', 'Time from batch receipt to store commit');
    this.deadLetters = metrics.counter('kastor_dead_letters_total', 'Records sent to the dead-letter topic');
    this.restarts = metrics.counter('kastor_restarts_total', 'Batch retries after a failure');
  }

  batch(records: number, outbox: number, latencyMs: number): void {
    this.eventsIn(this.labels, records);
    this.eventsOut(this.labels, outbox);
    this.batchLatency(this.labels, latencyMs);
  }

  deadLettered(n: number): void {
    if (n > 0) this.deadLetters(this.labels, n);
  }

  restart(): void {
    this.restarts(this.labels);
  }
}

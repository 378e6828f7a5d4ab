/**
 * The metrics collector (SPEC §3, logging and metrics aggregation): every `intervalMs` on the
 * injected clock it samples the runtime's own registry (src/metrics/Metrics.ts, read through its
 * Prometheus rendering: one sample per series, labels kept in the name, e.g.
 * `kastor_batches_total{stage="social.post"}`) plus process figures (memory, event-loop delay),
 * and produces each as `metric.sampled {service, name, value, at}` to `logging.ops.metrics` with
 * the fire-and-forget profile. It runs as a background service of the ops app.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MAX_METRIC_NAME, type MetricSampled } from '../../../actors/ops/events.js';
import { type OpsTopics, opsTopics } from '../../../config/ops.js';
import type { Broker, Producer } from '../../broker/Broker.js';
import type { OutgoingRecord } from '../../broker/Record.js';
import { type Clock, type TimerHandle, isoAt } from '../../clock/Clock.js';
import type { IdSource } from '../../ids/IdSource.js';
import { type Logger, silentLogger } from '../../log/Logger.js';
import type { Metrics } from '../../metrics/Metrics.js';

export interface MetricsCollectorOptions {
  /** The collector asks it for a fire-and-forget producer, closed on stop. */
  readonly broker: Pick<Broker, 'producer'>;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** The service the samples are about: the record key. */
  readonly service: string;
  /** Default 10 s. */
  readonly intervalMs?: number;
  readonly topics?: OpsTopics;
  /** Process figures by name; default: memory and event-loop delay of this process. */
  readonly processFigures?: () => Readonly<Record<string, number>>;
  readonly logger?: Logger;
}

/** The event-loop histogram records whole timer intervals: the delay is what exceeds this. */
const LOOP_RESOLUTION_MS = 20;
const SERIES = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)$/;

/** One `{name, value}` per series of a Prometheus text exposition. */
export function parseExposition(text: string): Array<{ name: string; value: number }> {
  const out: Array<{ name: string; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = SERIES.exec(line.trim());
    if (!m) continue;
    const value = Number(m[2]);
    if (Number.isFinite(value)) out.push({ name: m[1], value });
  }
  return out;
}

export class MetricsCollector {
  readonly name = 'ops.metrics_collector';
  private producer?: Producer;
  private timer?: TimerHandle;
  private inflight: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  constructor(private readonly options: MetricsCollectorOptions) {
    this.log = (options.logger ?? silentLogger).child({ service: this.name });
  }

  async start(): Promise<void> {
    if (this.producer) return;
    this.producer = this.options.broker.producer({ profile: 'fire-and-forget', clientId: 'kastor-metrics-collector' });
    if (!this.options.processFigures) this.loop.enable();
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
    this.loop.disable();
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close();
  }

  /** Samples now (also what each tick does); resolves once the producer took the records. */
  sample(): Promise<void> {
    this.inflight = this.inflight.then(() => this.send());
    return this.inflight;
  }

  /** Resolves once the samples taken so far are handed to the producer. */
  settled(): Promise<void> {
    return this.inflight;
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.sample();
      if (this.producer) this.schedule();
    }, this.options.intervalMs ?? 10_000);
  }

  private async send(): Promise<void> {
    const producer = this.producer;
    if (!producer) return;
    const { service, ids, clock } = this.options;
    const topic = (this.options.topics ?? opsTopics).metrics;
    const at = isoAt(clock);
    const samples = [
      ...parseExposition(await this.options.metrics.render()),
      ...Object.entries((this.options.processFigures ?? (() => this.processFigures()))()).map(([name, value]) => ({ name, value })),
    ].filter((s) => s.name.length <= MAX_METRIC_NAME);
    const records: OutgoingRecord[] = samples.map(({ name, value }) => {
      const event: MetricSampled = { id: ids.next(), type: 'metric.sampled', key: service, at, service, name, value };
      return { topic: topic.name, key: service, value: JSON.stringify(event) };
    });
    try {
      if (records.length > 0) await producer.send(records);
    } catch (e) {
      // Fire-and-forget: a lost sample is tolerated; the next tick samples again.
      this.log.warn('metrics sample not sent', { error: e, samples: records.length });
    }
  }

  private processFigures(): Record<string, number> {
    const memory = process.memoryUsage();
    const ms = (ns: number) => (Number.isFinite(ns) && ns > 0 ? Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS) : 0);
    const figures = {
      process_resident_memory_bytes: memory.rss,
      nodejs_heap_used_bytes: memory.heapUsed,
      nodejs_heap_total_bytes: memory.heapTotal,
      nodejs_external_memory_bytes: memory.external,
      nodejs_eventloop_delay_p50_ms: ms(this.loop.percentile(50)),
      nodejs_eventloop_delay_p99_ms: ms(this.loop.percentile(99)),
      nodejs_eventloop_delay_max_ms: ms(this.loop.max),
    };
    this.loop.reset();
    return figures;
  }
}

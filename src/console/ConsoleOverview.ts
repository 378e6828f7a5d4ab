/**
 * What the console's overview shows, gathered from what the process already knows
 * (ConsoleSource.ts): the Runtime's stages and runners (status, assigned partitions), the state
 * store's offsets (the truth the commit protocol keeps), the broker's high watermarks, and the
 * counters the stages already keep in Metrics. Nothing is added to the event path.
 *
 * Sampling runs only while someone watches: the first watcher starts a one-second timer, the last
 * one to leave stops it. Each sample's rates are the counters' deltas since the previous sample;
 * the last `historySize` samples are kept for the charts, so a page opened again sees the minutes
 * before it (those that were watched).
 */
import type { Clock, TimerHandle } from '../clock/Clock.js';
import type { Logger } from '../log/Logger.js';
import type { ConsoleSource, StageRow } from './ConsoleSource.js';

export interface OverviewSample {
  /** Epoch ms. */
  readonly at: number;
  readonly healthy: boolean;
  readonly ready: boolean;
  readonly stages: readonly StageRow[];
  /** Sums over the stages, for the charts. */
  readonly inPerSecond: number;
  readonly outPerSecond: number;
  readonly lag: number;
}

export interface ConsoleOverviewOptions {
  /** The stages' facts: this thread's Runtime, or the worker threads' (ConsoleSource.ts). */
  readonly source: Pick<ConsoleSource, 'stages'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly intervalMs?: number;
  /** Samples kept for the charts (default 300: five minutes at one a second). */
  readonly historySize?: number;
}

type Listener = (sample: OverviewSample) => void;

export class ConsoleOverview {
  private readonly listeners = new Set<Listener>();
  private readonly samples: OverviewSample[] = [];
  private previous?: OverviewSample;
  private timer?: TimerHandle;
  private sampling = false;

  constructor(private readonly options: ConsoleOverviewOptions) {}

  /** The samples kept, oldest first. */
  get history(): readonly OverviewSample[] {
    return this.samples;
  }

  get watchers(): number {
    return this.listeners.size;
  }

  /** Calls `listener` with every new sample until the returned function is called. */
  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        this.options.clock.clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** One sample now (rates against the previous sample, if any). */
  async sample(): Promise<OverviewSample> {
    const { source, clock } = this.options;
    const at = clock.now();
    const before = this.previous;
    const seconds = before ? Math.max(0.001, (at - before.at) / 1_000) : 0;
    const report = await source.stages();
    const stages = report.stages.map((facts): StageRow => {
      const last = before?.stages.find((s) => s.name === facts.name);
      const rate = (now: number, then: number | undefined) => (last && seconds > 0 ? Math.max(0, now - (then ?? 0)) / seconds : 0);
      return { ...facts, inPerSecond: rate(facts.eventsIn, last?.eventsIn), outPerSecond: rate(facts.eventsOut, last?.eventsOut) };
    });
    const sample: OverviewSample = {
      at,
      healthy: report.healthy,
      ready: report.ready,
      stages,
      inPerSecond: stages.reduce((sum, s) => sum + s.inPerSecond, 0),
      outPerSecond: stages.reduce((sum, s) => sum + s.outPerSecond, 0),
      lag: stages.reduce((sum, s) => sum + s.lag, 0),
    };
    this.previous = sample;
    return sample;
  }

  private schedule(delayMs: number): void {
    this.timer = this.options.clock.setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const sample = await this.sample();
      this.samples.push(sample);
      const keep = this.options.historySize ?? 300;
      if (this.samples.length > keep) this.samples.splice(0, this.samples.length - keep);
      for (const listener of this.listeners) listener(sample);
    } catch (error) {
      // The broker did not answer this time (its watermarks): the next tick tries again.
      this.options.log.warn('console overview sample failed', { error });
    } finally {
      this.sampling = false;
      if (this.listeners.size > 0) this.schedule(this.options.intervalMs ?? 1_000);
    }
  }
}

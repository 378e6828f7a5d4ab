/**
 * A source connector that polls a ChangeSource on the injected clock (SourceConnector.ts): each
 * round reads a batch of changes, maps them (bad rows to the dead-letter topic, with the reason),
 * produces them all and waits for the broker's confirmation, and only then stores the position.
 * So a restart neither skips a change nor repeats one — except after a crash between producing and
 * storing, when the batch is produced again under the same event ids and dropped downstream.
 *
 * A failing round (source or broker down) stores nothing and is retried with backoff; the
 * connector never gives up its position. A full batch is followed at once by the next round; an
 * idle source is polled every `intervalMs`. Runs as a `BackgroundService` of its application.
 */
import type { Producer } from '../broker/Broker.js';
import type { OutgoingRecord } from '../broker/Record.js';
import type { Clock, TimerHandle } from '../clock/Clock.js';
import type { Logger } from '../log/Logger.js';
import { silentLogger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import { sourceDeadLetter } from './sourceDeadLetter.js';
import type { ChangeMapper, ChangeSource, SourceConnector } from './SourceConnector.js';

export interface PollingConnectorOptions {
  /** Names the connector in logs, metrics and dead-letter headers, e.g. `bank.cdc.sqlite`. */
  readonly name: string;
  readonly source: ChangeSource;
  readonly map: ChangeMapper;
  readonly producer: Producer;
  readonly clock: Clock;
  readonly deadLetterTopic: string;
  /** Pause between rounds that found less than a full batch (default 250 ms). */
  readonly intervalMs?: number;
  /** Changes per round (default 500). */
  readonly batchSize?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Runs between producing a batch and storing its position (specs inject crashes here). */
  readonly afterProduce?: (records: readonly OutgoingRecord[]) => void;
}

const MAX_BACKOFF_MS = 30_000;

export class PollingConnector implements SourceConnector {
  readonly name: string;
  private readonly log: Logger;
  private readonly changes?: (labels?: Record<string, string>, by?: number) => void;
  private readonly deadLetters?: (labels?: Record<string, string>, by?: number) => void;
  private readonly failures?: (labels?: Record<string, string>, by?: number) => void;
  private running = false;
  private opened = false;
  private timer?: TimerHandle;
  private round: Promise<void> = Promise.resolve();
  private chain: Promise<unknown> = Promise.resolve();
  private failed = 0;

  constructor(private readonly options: PollingConnectorOptions) {
    this.name = options.name;
    this.log = (options.logger ?? silentLogger).child({ connector: options.name });
    if (options.metrics) {
      this.changes = options.metrics.counter('kastor_cdc_changes_total', 'Source changes produced by CDC connectors', ['connector']);
      this.deadLetters = options.metrics.counter('kastor_dead_letters_total', 'Records sent to the dead-letter topic', ['stage']);
      this.failures = options.metrics.counter('kastor_cdc_failures_total', 'CDC rounds that failed and will be retried', ['connector']);
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.log.info('source connector starting', { source: this.options.source.description });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    await this.chain.catch(() => undefined);
    if (this.opened) {
      this.opened = false;
      await this.options.source.close();
    }
  }

  position(): Promise<string | undefined> {
    return this.options.source.position();
  }

  /** One round; rounds never overlap (a manual poll waits for the scheduled one and vice versa). */
  poll(): Promise<number> {
    const next = this.chain.catch(() => undefined).then(() => this.pollOnce());
    this.chain = next;
    return next;
  }

  private async pollOnce(): Promise<number> {
    try {
      return await this.produceBatch();
    } catch (error) {
      // Whatever broke (a dropped connection, a broker outage), the next round starts afresh from
      // the stored position.
      if (this.opened) {
        this.opened = false;
        await this.options.source.close().catch(() => undefined);
      }
      throw error;
    }
  }

  private async produceBatch(): Promise<number> {
    const { source, map, producer, deadLetterTopic } = this.options;
    if (!this.opened) {
      await source.open();
      this.opened = true;
    }
    const batch = await source.read(this.options.batchSize ?? 500);
    let rejected = 0;
    const records = batch.changes.map((change) => {
      const mapped = safeMap(map, change);
      if ('record' in mapped) return mapped.record;
      rejected++;
      this.log.warn('source row dead-lettered', { ref: change.ref, reason: mapped.reject });
      return sourceDeadLetter(deadLetterTopic, this.name, source.description, change, mapped.reject);
    });
    if (records.length > 0) {
      await producer.send(records);
      this.options.afterProduce?.(records);
    }
    await batch.confirm();
    this.changes?.({ connector: this.name }, records.length - rejected);
    if (rejected > 0) this.deadLetters?.({ stage: this.name }, rejected);
    return batch.changes.length;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.round = this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    let n = 0;
    try {
      n = await this.poll();
      this.failed = 0;
    } catch (error) {
      if (!this.running) return;
      this.failed++;
      this.failures?.({ connector: this.name });
      this.log.error('source connector round failed; retrying from the stored position', { error, attempt: this.failed });
    }
    const full = n >= (this.options.batchSize ?? 500);
    const backoff = Math.min(MAX_BACKOFF_MS, (this.options.intervalMs ?? 250) * 2 ** this.failed);
    this.schedule(this.failed > 0 ? backoff : full ? 0 : (this.options.intervalMs ?? 250));
  }
}

function safeMap(map: ChangeMapper, change: Parameters<ChangeMapper>[0]) {
  try {
    return map(change);
  } catch (e) {
    return { reject: `mapping failed: ${(e as Error).message}` };
  }
}

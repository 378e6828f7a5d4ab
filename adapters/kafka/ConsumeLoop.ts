/**
 * The loop that pulls records out of a node-rdkafka `KafkaConsumer` for KafkaGroupConsumer. It
 * runs from the connection until the consumer closes, group or not, because librdkafka serves the
 * rebalance and offset-commit callbacks inside these calls.
 *
 * node-rdkafka's `consume(n)` waits up to the consume timeout for EACH of the n messages, so with
 * a steady trickle of records it would return only once n arrived. The loop therefore alternates:
 * wait for one record (`consume(1)`, up to `waitMs`), then drain what is already queued
 * (`consume(fetchSize)` with timeout 0) for as long as there is some. The waited-for record goes
 * out together with the first drain, so a burst is one batch, not a batch of one and the rest.
 *
 * Every call blocks a libuv pool thread for up to `waitMs` (see KafkaBroker.ts on
 * UV_THREADPOOL_SIZE).
 */
import type Kafka from 'node-rdkafka';
import type { Message } from 'node-rdkafka';
import { CODES, describe, errorCode, isFatal } from './kafkaErrors.js';

export interface ConsumeLoopOptions {
  readonly fetchSize: number;
  readonly waitMs: number;
  readonly onMessages: (messages: Message[]) => void;
  /** A consume error worth reporting (time-outs are not); called once per distinct error in a row. */
  readonly onError: (description: string) => void;
  /**
   * librdkafka gave up on the client (a static member fenced by a newer instance, say): told once;
   * the loop goes on polling (every call fails the same way) until its owner stops it.
   */
  readonly onFatal: (error: unknown) => void;
}

/** After an error the next call waits this long: errors come back at once, do not spin. */
const ERROR_BACKOFF_MS = 200;

export class ConsumeLoop {
  private running = false;
  private stopped: (() => void) | undefined;
  private draining = false;
  private waited: Message[] | undefined;
  private lastError = '';
  private fatal = false;

  constructor(
    private readonly client: Kafka.KafkaConsumer,
    private readonly options: ConsumeLoopOptions,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.next();
  }

  /** Resolves once the call in flight returned and no further one is made. */
  stop(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.stopped = resolve;
      this.running = false;
    });
  }

  private next(): void {
    if (!this.running || !this.client.isConnected()) {
      this.flushWaited();
      this.running = false;
      this.stopped?.();
      return;
    }
    const draining = this.draining;
    this.client.setDefaultConsumeTimeout(draining ? 0 : this.options.waitMs);
    try {
      this.client.consume(draining ? this.options.fetchSize : 1, (err, messages) => {
        if (err) {
          this.draining = false;
          this.flushWaited();
          this.failed(err);
          return;
        }
        this.lastError = '';
        this.draining = messages.length > 0;
        if (!draining && messages.length > 0) {
          this.waited = messages;
        } else {
          this.flushWaited();
          if (messages.length > 0) this.options.onMessages(messages);
        }
        setImmediate(() => this.next());
      });
    } catch (e) {
      this.failed(e);
    }
  }

  private flushWaited(): void {
    const waited = this.waited;
    this.waited = undefined;
    if (waited !== undefined) this.options.onMessages(waited);
  }

  private failed(e: unknown): void {
    if (isFatal(e) && !this.fatal) {
      this.fatal = true;
      this.options.onFatal(e);
    }
    const code = errorCode(e);
    const quiet = code === CODES.ERR__TIMED_OUT || code === CODES.ERR__TIMED_OUT_QUEUE || code === CODES.ERR__PARTITION_EOF;
    const text = describe(e);
    if (!quiet && text !== this.lastError) this.options.onError(text);
    this.lastError = text;
    setTimeout(() => this.next(), ERROR_BACKOFF_MS);
  }
}

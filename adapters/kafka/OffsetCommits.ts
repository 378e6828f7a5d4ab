/**
 * Offset commits of a KafkaGroupConsumer waiting for librdkafka's `offset_commit_cb`. An async
 * `commit(offsets)` returns nothing; its result comes later through the callback, which names the
 * offsets it is about. Each waiting commit is matched by those offsets, and answered within
 * `timeoutMs` even when the coordinator stays away (librdkafka keeps retrying it).
 */
import type { LibrdKafkaError } from 'node-rdkafka';
import { BrokerError, BrokerUnavailable } from '../../src/broker/errors.js';
import type { TopicPartitionOffset } from '../../src/broker/Record.js';
import { CODES, errorCode, toBrokerError } from './kafkaErrors.js';

interface Waiting {
  readonly key: string;
  resolve(): void;
  reject(error: BrokerError): void;
}

const keyOf = (offsets: readonly TopicPartitionOffset[]): string =>
  offsets
    .map((o) => `${o.topic}/${o.partition}@${o.offset}`)
    .sort()
    .join(',');

export class OffsetCommits {
  private readonly waiting: Waiting[] = [];

  constructor(
    /** What a commit is, for error messages ("commit offsets of group g"). */
    private readonly action: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs `send` (which asks librdkafka to commit) and resolves with the commit's result. */
  commit(offsets: readonly TopicPartitionOffset[], send: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(waiting);
        reject(new BrokerUnavailable(`${this.action}: no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      const waiting: Waiting = {
        key: keyOf(offsets),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiting.push(waiting);
      try {
        send();
      } catch (e) {
        this.forget(waiting);
        waiting.reject(toBrokerError(e, { action: this.action }));
      }
    });
  }

  /** librdkafka's report (`offset_commit_cb`). */
  reported(err: LibrdKafkaError | null | undefined, offsets: unknown): void {
    // Commits also complete in the order they were made: without offsets, the oldest is meant.
    const key = Array.isArray(offsets) ? keyOf(offsets as TopicPartitionOffset[]) : undefined;
    const i = key === undefined ? 0 : this.waiting.findIndex((w) => w.key === key);
    if (i < 0 || i >= this.waiting.length) return; // one that already timed out
    const [waiting] = this.waiting.splice(i, 1);
    if (err && errorCode(err) !== CODES.ERR_NO_ERROR) waiting.reject(toBrokerError(err, { action: this.action }));
    else waiting.resolve();
  }

  rejectAll(error: BrokerError): void {
    for (const w of this.waiting.splice(0)) w.reject(error);
  }

  private forget(waiting: Waiting): void {
    const i = this.waiting.indexOf(waiting);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}

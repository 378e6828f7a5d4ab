/**
 * The producer a simulated process gives its edge services (routes, source connectors, forwarders):
 * the faulty broker's, retried as a reliable client retries a send that failed — so a dropped send
 * is sent again under the same event ids, and the broker may then hold it twice, as Kafka may.
 * It counts the records it was asked to send, so that the edge can tell that a refused request
 * produced nothing.
 */
import type { Producer } from '../broker/Broker.js';
import { BrokerError } from '../broker/errors.js';
import type { OutgoingRecord, RecordMetadata } from '../broker/Record.js';

const MAX_ATTEMPTS = 100;

export class EdgeProducer implements Producer {
  /** Records handed to `send`, retries not counted. */
  sent = 0;

  constructor(private readonly inner: Producer) {}

  async send(records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    this.sent += records.length;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.inner.send(records);
      } catch (e) {
        if (!(e instanceof BrokerError && e.retriable) || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

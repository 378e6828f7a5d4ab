/**
 * What the kafka adapter specs share: a KafkaBroker on the test cluster with a recording logger,
 * unique topic and group names per test, and cleanup of the topics a test made.
 */
import { randomBytes } from 'node:crypto';
import { KafkaBroker, type KafkaBrokerOptions } from '../../../adapters/kafka/index.js';
import type { TopicSpec } from '../../../src/broker/Broker.js';
import { kafkaBrokers, recordingKafkaLogger } from '../../support/kafka.js';

export const WAIT_MS = 30_000;

export const unique = (what: string): string => `kafka-spec.t${randomBytes(5).toString('hex')}.${what}`;

export class KafkaFixture {
  readonly logger = recordingKafkaLogger();
  private readonly brokers: KafkaBroker[] = [];
  private readonly topics: string[] = [];

  /** A broker object (its own clients); all are closed in `teardown`. */
  broker(options: Partial<KafkaBrokerOptions> = {}): KafkaBroker {
    const broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'kafka-spec', logger: this.logger, ...options });
    this.brokers.push(broker);
    return broker;
  }

  async topic(what: string, partitions: number, extra: Partial<TopicSpec> = {}): Promise<string> {
    const name = unique(what);
    const admin = (this.brokers[0] ?? this.broker()).admin;
    await admin.createTopics([{ name, partitions, replicationFactor: 1, ...extra }]);
    this.topics.push(name);
    return name;
  }

  async teardown(): Promise<void> {
    const admin = this.brokers[0]?.admin;
    if (admin && this.topics.length > 0) {
      const existing = new Set((await admin.listTopics()).map((t) => t.name));
      const made = this.topics.splice(0).filter((t) => existing.has(t));
      if (made.length > 0) await admin.deleteTopics(made);
    }
    await Promise.all(this.brokers.splice(0).reverse().map((b) => b.close()));
  }
}

/**
 * A broker port decorator (src/broker/Broker.ts) that puts every topic and consumer group of the
 * process under a prefix on the wrapped broker, and takes it off again in what it hands back. The
 * latency benchmark runs the real MySocialMedia app (whose topic names are fixed in
 * config/social.ts) on the shared Kafka broker without touching `tracking.social.*`, which other
 * people's runs may be using. It costs one record copy per record consumed.
 */
import { type Observable, map } from 'rxjs';
import type { Admin, AssignedPartition, Broker, ConsumerOptions, GroupConsumer, Producer, ProducerOptions, ReadOptions, TopicSpec } from '../../src/broker/Broker.js';
import type { BrokerRecord, OutgoingRecord, TopicPartition } from '../../src/broker/Record.js';

export class PrefixedBroker implements Broker {
  readonly name: string;
  readonly admin: Admin;

  constructor(private readonly inner: Broker, private readonly prefix: string) {
    this.name = inner.name;
    const on = (name: string) => this.on(name);
    const off = (name: string) => this.off(name);
    const tp = <T extends TopicPartition>(t: T): T => ({ ...t, topic: on(t.topic) });
    this.admin = {
      createTopics: (specs: readonly TopicSpec[]) => inner.admin.createTopics(specs.map((s) => ({ ...s, name: on(s.name) }))),
      deleteTopics: (names) => inner.admin.deleteTopics(names.map(on)),
      listTopics: async () => (await inner.admin.listTopics()).filter((t) => t.name.startsWith(prefix)).map((t) => ({ ...t, name: off(t.name) })),
      describeTopic: async (name) => {
        const t = await inner.admin.describeTopic(on(name));
        return t && { ...t, name };
      },
      watermarks: (t) => inner.admin.watermarks(tp(t)),
      brokerCount: () => inner.admin.brokerCount(),
    };
  }

  /** Every topic created under the prefix, by its name on the wrapped broker. */
  async ownTopics(): Promise<string[]> {
    return (await this.inner.admin.listTopics()).map((t) => t.name).filter((n) => n.startsWith(this.prefix));
  }

  producer(options?: ProducerOptions): Producer {
    const inner = this.inner.producer(options);
    return {
      send: async (records: readonly OutgoingRecord[]) =>
        (await inner.send(records.map((r) => ({ ...r, topic: this.on(r.topic) })))).map((m) => ({ ...m, topic: this.off(m.topic) })),
      flush: () => inner.flush(),
      close: () => inner.close(),
    };
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    const inner = this.inner.consumer({ ...options, groupId: this.on(options.groupId), topics: options.topics.map((t) => this.on(t)) });
    return {
      assignments: inner.assignments.pipe(map((p): AssignedPartition => ({
        topic: this.off(p.topic),
        partition: p.partition,
        batches: (start) => p.batches(start).pipe(map((b) => ({
          topic: this.off(b.topic),
          partition: b.partition,
          records: b.records.map((r) => ({ ...r, topic: this.off(r.topic) })),
          ack: () => b.ack(),
        }))),
      }))),
      commit: (offsets) => inner.commit(offsets.map((o) => ({ ...o, topic: this.on(o.topic) }))),
      committed: async (tps) => (await inner.committed(tps.map((t) => ({ ...t, topic: this.on(t.topic) })))).map((o) => ({ ...o, topic: this.off(o.topic) })),
      close: () => inner.close(),
    };
  }

  readPartition(tp: TopicPartition, options?: ReadOptions): Observable<readonly BrokerRecord[]> {
    return this.inner.readPartition({ ...tp, topic: this.on(tp.topic) }, options)
      .pipe(map((records) => records.map((r) => ({ ...r, topic: this.off(r.topic) }))));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private on(name: string): string {
    return `${this.prefix}${name}`;
  }

  private off(name: string): string {
    return name.startsWith(this.prefix) ? name.slice(this.prefix.length) : name;
  }
}

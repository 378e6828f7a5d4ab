/**
 * The process's broker, served to its worker threads (`ThreadBroker` is the other end): one
 * MessagePort per worker. Producers are the process's own (one per profile, shared by every
 * worker); each group is one member of the process (`SharedConsumer`), whose partitions go to the
 * workers that own them. A worker that dies is disconnected: what it read is let go (a partition
 * with a batch in flight is released, as a member that walks away), nothing else moves.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Subscription } from 'rxjs';
import type { AssignedPartition, Broker, Producer, ProducerOptions, RecordBatch } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import { SharedConsumer, type WorkerSink } from './SharedConsumer.js';
import type { CallMethod, Calls, ToService, ToWorker } from './protocol.js';
import { toWire } from './protocol.js';

interface Connection {
  readonly worker: number;
  readonly port: MessagePort;
  readonly consumers: Map<number, SharedConsumer>;
  readonly partitions: Map<number, { readonly partition: AssignedPartition; readonly shared: SharedConsumer }>;
  readonly reading: Map<number, Subscription>;
  readonly batches: Map<number, RecordBatch>;
  readonly reads: Map<number, Subscription>;
  nextPartition: number;
  nextBatch: number;
}

export class BrokerService {
  private readonly connections = new Map<number, Connection>();
  private readonly groups = new Map<string, SharedConsumer>();
  private readonly producers = new Map<string, Producer>();
  /** Each worker producer's profile, by `worker/id`. */
  private readonly profiles = new Map<string, ProducerOptions['profile']>();
  private readonly fatal?: Subscription;

  constructor(
    readonly broker: Broker,
    private readonly workers: number,
  ) {
    this.fatal = broker.fatalErrors?.subscribe((error) => {
      for (const c of this.connections.values()) post(c, { type: 'fatal', error: toWire(error) });
    });
  }

  /** Serves worker `worker` on `port` (until `disconnect`). */
  connect(worker: number, port: MessagePort): void {
    this.disconnect(worker);
    const c: Connection = {
      worker, port, consumers: new Map(), partitions: new Map(), reading: new Map(), batches: new Map(), reads: new Map(),
      nextPartition: 1, nextBatch: 1,
    };
    this.connections.set(worker, c);
    port.on('message', (m: ToService) => this.receive(c, m));
  }

  /** The worker is gone: its reads stop, its groups go on without it. */
  disconnect(worker: number): void {
    const c = this.connections.get(worker);
    if (!c) return;
    this.connections.delete(worker);
    c.port.removeAllListeners('message');
    c.port.close();
    this.release(c);
    for (const shared of c.consumers.values()) void shared.detach(worker);
  }

  async close(): Promise<void> {
    for (const worker of [...this.connections.keys()]) this.disconnect(worker);
    this.fatal?.unsubscribe();
    for (const p of this.producers.values()) await p.close().catch(() => undefined);
  }

  private receive(c: Connection, m: ToService): void {
    switch (m.type) {
      case 'call':
        this.call(c, m.method, m.args).then(
          (value) => post(c, { type: 'reply', id: m.id, value }),
          (e: unknown) => post(c, { type: 'reply', id: m.id, error: toWire(e) }),
        );
        return;
      case 'subscribe':
        return this.subscribe(c, m.partition, m.start);
      case 'unsubscribe':
        c.reading.get(m.partition)?.unsubscribe();
        c.reading.delete(m.partition);
        return;
      case 'ack': {
        const batch = c.batches.get(m.batch);
        c.batches.delete(m.batch);
        batch?.ack();
        return;
      }
      case 'read':
        c.reads.set(m.read, this.broker.readPartition(m.tp, m.options).subscribe({
          next: (records) => post(c, { type: 'chunk', read: m.read, records }),
          error: (e: unknown) => {
            c.reads.delete(m.read);
            post(c, { type: 'read-end', read: m.read, error: toWire(e) });
          },
          complete: () => {
            c.reads.delete(m.read);
            post(c, { type: 'read-end', read: m.read });
          },
        }));
        return;
      case 'read-cancel':
        c.reads.get(m.read)?.unsubscribe();
        c.reads.delete(m.read);
        return;
    }
  }

  private async call(c: Connection, method: CallMethod, args: readonly unknown[]): Promise<unknown> {
    const admin = this.broker.admin;
    switch (method) {
      case 'admin.createTopics': return admin.createTopics(...(args as Calls['admin.createTopics']));
      case 'admin.deleteTopics': return admin.deleteTopics(...(args as Calls['admin.deleteTopics']));
      case 'admin.listTopics': return admin.listTopics();
      case 'admin.describeTopic': return admin.describeTopic(...(args as Calls['admin.describeTopic']));
      case 'admin.watermarks': return admin.watermarks(...(args as Calls['admin.watermarks']));
      case 'admin.brokerCount': return admin.brokerCount();
      case 'producer.open': {
        const [id, options] = args as Calls['producer.open'];
        this.profiles.set(`${c.worker}/${id}`, options?.profile ?? 'reliable');
        this.producer(options);
        return undefined;
      }
      case 'producer.send': {
        const [, records] = args as Calls['producer.send'];
        return this.producerFor(c, args[0] as number).send(records);
      }
      case 'producer.flush':
      case 'producer.close':
        // The producers are the process's: a worker's close flushes what it sent.
        return this.producerFor(c, args[0] as number).flush();
      case 'consumer.open': {
        const [id, options] = args as Calls['consumer.open'];
        let shared = this.groups.get(options.groupId);
        if (!shared) {
          // Kept for the process's life: a worker that attaches while the last one detaches finds the same one.
          shared = new SharedConsumer(this.broker, options, this.workers);
          this.groups.set(options.groupId, shared);
        }
        c.consumers.set(id, shared);
        await shared.attach(c.worker, this.sink(c, id, shared));
        return undefined;
      }
      case 'consumer.commit': {
        const [id, offsets] = args as Calls['consumer.commit'];
        return this.consumerFor(c, id).commit(offsets);
      }
      case 'consumer.committed': {
        const [id, tps] = args as Calls['consumer.committed'];
        return this.consumerFor(c, id).committed(tps);
      }
      case 'consumer.close': {
        const [id] = args as Calls['consumer.close'];
        const shared = c.consumers.get(id);
        if (!shared) return undefined;
        c.consumers.delete(id);
        for (const [pid, entry] of [...c.partitions]) {
          if (entry.shared !== shared) continue;
          c.reading.get(pid)?.unsubscribe();
          c.reading.delete(pid);
          c.partitions.delete(pid);
        }
        await shared.detach(c.worker);
        return undefined;
      }
    }
  }

  private sink(c: Connection, consumer: number, shared: SharedConsumer): WorkerSink {
    return {
      assigned: (partition) => {
        const id = c.nextPartition++;
        c.partitions.set(id, { partition, shared });
        post(c, { type: 'assigned', consumer, partition: id, tp: { topic: partition.topic, partition: partition.partition } });
      },
      assignment: (tps) => post(c, { type: 'assignment', consumer, tps }),
      failed: (error) => post(c, { type: 'assignments-end', consumer, error: toWire(error) }),
    };
  }

  private subscribe(c: Connection, id: number, start: Parameters<AssignedPartition['batches']>[0]): void {
    const entry = c.partitions.get(id);
    if (!entry) {
      post(c, { type: 'batches-end', partition: id });
      return;
    }
    entry.shared.read(entry.partition);
    const end = (error?: unknown) => {
      c.reading.delete(id);
      c.partitions.delete(id);
      post(c, { type: 'batches-end', partition: id, error: error === undefined ? undefined : toWire(error) });
    };
    c.reading.set(id, entry.partition.batches(start).subscribe({
      next: (batch) => {
        const bid = c.nextBatch++;
        c.batches.set(bid, batch);
        post(c, { type: 'batch', partition: id, batch: bid, records: batch.records });
      },
      error: (e: unknown) => end(e),
      complete: () => end(),
    }));
  }

  private producer(options: ProducerOptions | undefined): Producer {
    const profile = options?.profile ?? 'reliable';
    let p = this.producers.get(profile);
    if (!p) {
      p = this.broker.producer({ profile, clientId: `kastor-workers-${profile}` });
      this.producers.set(profile, p);
    }
    return p;
  }

  private producerFor(c: Connection, id: number): Producer {
    return this.producer({ profile: this.profiles.get(`${c.worker}/${id}`) });
  }

  private consumerFor(c: Connection, id: number): SharedConsumer {
    const shared = c.consumers.get(id);
    if (!shared) throw new BrokerError(`worker ${c.worker} has no consumer ${id}`);
    return shared;
  }

  private release(c: Connection): void {
    for (const s of c.reading.values()) s.unsubscribe();
    for (const s of c.reads.values()) s.unsubscribe();
    c.reading.clear();
    c.reads.clear();
    c.batches.clear();
    c.partitions.clear();
  }
}

function post(c: Connection, m: ToWorker): void {
  c.port.postMessage(m);
}

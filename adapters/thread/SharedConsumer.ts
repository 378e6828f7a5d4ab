/**
 * One group member of the process, shared by its worker threads (`--workers N`): partition p of
 * every topic the group reads belongs to worker p mod N, for as long as the process holds it. The
 * group (Kafka's coordinator, or the memory broker's) balances partitions between processes; within
 * one, a partition never moves between workers. So each worker's SQLite file holds the state of
 * its own partitions for good, and a worker that dies resumes them from its own offsets — as a
 * Kafka Streams task stays with its state directory.
 *
 * A partition is handed to its worker once it has asked for the group's partitions (`attach`);
 * until then, or while the worker restarts, the process holds it unread. An assigned partition is
 * read once per assignment (the broker port's rule): a worker that comes back after reading from
 * this assignment gets a fresh one — the member leaves and joins the group again, a rebalance as
 * when a stage restarts in a single-threaded process.
 */
import type { Subscription } from 'rxjs';
import type { AssignedPartition, Broker, ConsumerOptions, GroupConsumer } from '../../src/broker/Broker.js';
import { BrokerError } from '../../src/broker/errors.js';
import { type TopicPartition, type TopicPartitionOffset, tpKey } from '../../src/broker/Record.js';

/** Where one worker hears of its partitions. */
export interface WorkerSink {
  assigned(partition: AssignedPartition): void;
  /** Everything this worker holds now (an empty list included: joined, given nothing). */
  assignment(tps: readonly TopicPartition[]): void;
  failed(error: Error): void;
}

export class SharedConsumer {
  private real?: GroupConsumer;
  private subscription?: Subscription;
  private readonly sinks = new Map<number, WorkerSink>();
  /** Partitions of the current assignment, by `topic/partition`. */
  private readonly held = new Map<string, AssignedPartition>();
  /** Partitions of the current assignment a worker has read (they cannot be read again). */
  private readonly spent = new Set<string>();
  private whole?: readonly TopicPartition[];
  /** attach/detach/recycle, one at a time. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly broker: Broker,
    private readonly options: ConsumerOptions,
    private readonly workers: number,
  ) {}

  workerOf(tp: TopicPartition): number {
    return tp.partition % this.workers;
  }

  /** Worker `worker` reads the group's partitions that are its own from now on. */
  attach(worker: number, sink: WorkerSink): Promise<void> {
    return this.serially(async () => {
      if (this.sinks.has(worker)) throw new BrokerError(`worker ${worker} reads group ${this.options.groupId} twice`);
      const mine = [...this.held.values()].filter((p) => this.workerOf(p) === worker);
      if (mine.some((p) => this.spent.has(tpKey(p)))) await this.closeReal();
      this.sinks.set(worker, sink);
      if (!this.real) return this.open();
      for (const p of mine) sink.assigned(p);
      if (this.whole) sink.assignment(this.whole.filter((tp) => this.workerOf(tp) === worker));
    });
  }

  /** The worker stopped reading (its reads were unsubscribed by the caller). */
  detach(worker: number): Promise<void> {
    return this.serially(async () => {
      if (!this.sinks.delete(worker)) return;
      // The last worker gone (they stop, or all restart): the member leaves; the next attach joins again.
      if (this.sinks.size > 0) return;
      await this.closeReal();
    });
  }

  /** A worker starts reading one of its partitions. */
  read(partition: AssignedPartition): void {
    this.spent.add(tpKey(partition));
  }

  commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (!this.real) return Promise.reject(new BrokerError(`group ${this.options.groupId} is rebalancing in this process`, { retriable: true }));
    return this.real.commit(offsets);
  }

  committed(tps: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (!this.real) return Promise.reject(new BrokerError(`group ${this.options.groupId} is rebalancing in this process`, { retriable: true }));
    return this.real.committed(tps);
  }

  private open(): void {
    const real = this.broker.consumer(this.options);
    this.real = real;
    const whole = real.assignment?.subscribe((tps) => {
      this.whole = tps;
      const keys = new Set(tps.map(tpKey));
      for (const key of [...this.held.keys()]) if (!keys.has(key)) this.forget(key);
      for (const [worker, sink] of this.sinks) sink.assignment(tps.filter((tp) => this.workerOf(tp) === worker));
    });
    this.subscription = real.assignments.subscribe({
      next: (partition) => {
        const key = tpKey(partition);
        this.held.set(key, partition);
        this.spent.delete(key);
        this.sinks.get(this.workerOf(partition))?.assigned(partition);
      },
      error: (error: Error) => {
        if (this.real !== real) return;
        this.reset();
        for (const sink of this.sinks.values()) sink.failed(error);
      },
    });
    if (whole) this.subscription.add(whole);
  }

  private async closeReal(): Promise<void> {
    const real = this.real;
    if (!real) return;
    this.reset();
    await real.close().catch(() => undefined);
  }

  private reset(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.real = undefined;
    this.held.clear();
    this.spent.clear();
    this.whole = undefined;
  }

  private forget(key: string): void {
    this.held.delete(key);
    this.spent.delete(key);
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

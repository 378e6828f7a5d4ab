/**
 * The worker threads of `kastor run --workers N` (node:worker_threads), supervised as stages are:
 * a worker that dies (an uncaught error, a stage given up, exit non-zero) is started again after a
 * back-off and resumes its partitions from its SQLite offsets; more than the policy's restarts
 * within its window end the process (`onFatal`). The pool keeps each worker's last status for
 * /readyz, and asks them for their metrics (/metrics) and the console's facts.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { BrokerService } from '../../../adapters/thread/BrokerService.js';
import type { Clock } from '../../clock/Clock.js';
import type { StageReadiness } from '../../host/Runtime.js';
import type { SupervisionPolicy } from '../../host/StageSupervisor.js';
import type { Logger } from '../../log/Logger.js';
import type { MetricsSnapshot } from '../../metrics/Metrics.js';
import type { AppsToHost } from '../hostApps.js';
import type { WorkerState, Workers, WorkersReadiness } from '../ProcessEngine.js';
import type { Answers, FromWorkerThread, Question, ToWorkerThread, WorkerData, WorkerStatus } from './messages.js';

const BOOTSTRAP = new URL('./workerBootstrap.mjs', import.meta.url);
const ENTRY = new URL('./workerThread.ts', import.meta.url).href;
/** How long a worker may take to answer a question (its metrics, the console's facts). */
const ASK_TIMEOUT_MS = 5_000;

export interface WorkerPoolOptions {
  readonly workers: number;
  readonly apps: AppsToHost;
  readonly service: BrokerService;
  readonly policy: SupervisionPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The policy gave up on a worker: the process should end (exit 1). */
  readonly onFatal: (error: Error) => void;
}

interface Slot {
  readonly worker: number;
  thread?: Worker;
  status?: WorkerStatus;
  state: WorkerState;
  restarts: number[];
  /** Threads started for this worker so far. */
  starts: number;
  started?: Promise<void>;
  restartTimer?: ReturnType<typeof setTimeout>;
}


export class WorkerPool implements Workers {
  private readonly slots: Slot[];
  private readonly questions = new Map<number, (value: unknown, error?: { message: string; statusCode?: number }) => void>();
  private nextQuestion = 1;
  private stopping = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.slots = Array.from({ length: options.workers }, (_, worker) => ({ worker, state: 'starting', restarts: [], starts: 0 }));
  }

  /** Starts every worker; resolves once each has started its stages (rejects if one cannot). */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.spawn(slot)));
  }

  get healthy(): boolean {
    return this.slots.every((s) => s.state === 'running' && s.status?.healthy === true);
  }

  /** Every worker ready; each stage's assignment is the union of the workers'. */
  get readiness(): WorkersReadiness {
    const stages: Record<string, { ready: boolean; assigned: Record<string, number[]>; restoring: string[] }> = {};
    for (const slot of this.slots) {
      for (const [name, s] of Object.entries(slot.status?.readiness.stages ?? {})) {
        const merged = (stages[name] ??= { ready: true, assigned: {}, restoring: [] });
        merged.ready &&= s.ready;
        for (const [topic, partitions] of Object.entries(s.assigned)) (merged.assigned[topic] ??= []).push(...partitions);
        merged.restoring.push(...s.restoring);
      }
    }
    for (const s of Object.values(stages)) for (const p of Object.values(s.assigned)) p.sort((a, b) => a - b);
    const workers = this.slots.map((s) => ({
      worker: s.worker, state: s.state, ready: s.state === 'running' && s.status?.readiness.ready === true, restarts: Math.max(0, s.starts - 1),
    }));
    return { ready: this.healthy && workers.every((w) => w.ready), stages: stages as Record<string, StageReadiness>, workers };
  }

  /** Each running worker's metrics (a worker that does not answer in time is left out). */
  async metrics(): Promise<MetricsSnapshot[]> {
    const answers = await Promise.all(this.slots.map((slot) => this.ask(slot.worker, { what: 'metrics' }).catch(() => undefined)));
    return answers.filter((m): m is MetricsSnapshot => m !== undefined);
  }

  /** Asks one worker; rejects when it is not running or does not answer within ASK_TIMEOUT_MS. */
  ask<Q extends Question>(worker: number, question: Q): Promise<Answers[Q['what']]> {
    const slot = this.slots[worker];
    const thread = slot?.thread;
    if (!thread || slot.state !== 'running') return Promise.reject(new Error(`worker ${worker} is not running (${slot?.state ?? 'none'})`));
    const id = this.nextQuestion++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(undefined, { message: `worker ${worker} did not answer within ${ASK_TIMEOUT_MS} ms` }), ASK_TIMEOUT_MS);
      const settle = (value: unknown, error?: { message: string; statusCode?: number }) => {
        clearTimeout(timer);
        this.questions.delete(id);
        if (error) reject(Object.assign(new Error(error.message), { statusCode: error.statusCode }));
        else resolve(value as Answers[Q['what']]);
      };
      this.questions.set(id, settle);
      send(thread, { type: 'ask', id, question });
    });
  }

  /**
   * Ends a worker's thread at once, as kill -9 would a process: nothing it holds is committed or
   * flushed. The pool restarts it as it would after a crash.
   */
  async terminate(worker: number): Promise<void> {
    await this.slots[worker]?.thread?.terminate();
  }

  /** Each worker drains (its stages commit what is in flight) and ends. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map(async (slot) => {
      clearTimeout(slot.restartTimer);
      const thread = slot.thread;
      slot.state = 'stopped';
      if (!thread) return;
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      send(thread, { type: 'stop' });
      await exited;
    }));
  }

  private spawn(slot: Slot): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    this.options.service.connect(slot.worker, port1);
    const { apps, transport, dataDir, changelogs, profile, maxLiveActors, maxBatchSize, instance } = this.options.apps;
    const data: WorkerData = {
      apps, transport, dataDir, changelogs, profile, maxLiveActors, maxBatchSize, instance,
      worker: slot.worker, workers: this.options.workers, brokerPort: port2, entry: ENTRY, incarnation: slot.starts++,
    };
    const thread = new Worker(BOOTSTRAP, { workerData: data, transferList: [port2], execArgv: [] });
    slot.thread = thread;
    slot.state = 'starting';
    slot.status = undefined;
    const log = this.options.logger;
    let failure: Error | undefined;
    slot.started = new Promise<void>((resolve, reject) => {
      thread.on('message', (m: FromWorkerThread) => {
        if (m.type === 'started') {
          slot.state = 'running';
          log.info('worker started', { worker: slot.worker });
          resolve();
        } else if (m.type === 'status') slot.status = m.status;
        else if (m.type === 'answer') this.questions.get(m.id)?.(m.value, m.error);
        else if (m.type === 'fatal') failure = new Error(`worker ${slot.worker}: ${m.message}`);
      });
      thread.on('error', (error) => {
        failure = error;
        log.error('worker failed', { worker: slot.worker, error });
      });
      thread.on('exit', (code) => {
        this.options.service.disconnect(slot.worker);
        if (slot.thread === thread) slot.thread = undefined;
        if (this.stopping) return;
        const error = failure ?? new Error(`worker ${slot.worker} exited with code ${code}`);
        if (slot.state === 'starting') reject(error);
        this.failed(slot, error);
      });
    });
    return slot.started;
  }

  private failed(slot: Slot, error: Error): void {
    const { policy, clock, logger } = this.options;
    const now = clock.now();
    slot.restarts = slot.restarts.filter((t) => now - t < policy.windowMs);
    if (slot.restarts.length >= policy.maxRestarts) {
      slot.state = 'given-up';
      logger.error('worker keeps failing; giving up', { worker: slot.worker, restarts: slot.restarts.length, windowMs: policy.windowMs, error });
      this.options.onFatal(error);
      return;
    }
    const backoff = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** slot.restarts.length);
    slot.restarts.push(now);
    slot.state = 'backing-off';
    logger.warn('worker died; restarting it', { worker: slot.worker, backoffMs: backoff, error });
    slot.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.spawn(slot).catch(() => undefined); // a failed start is counted by its exit
    }, backoff);
  }

}

function send(thread: Worker, m: ToWorkerThread): void {
  thread.postMessage(m);
}

/**
 * What a worker thread is started with, and the control messages between it and its `WorkerPool`
 * (the broker's traffic has its own port: adapters/thread/protocol.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import type { RuntimeReadiness } from '../../host/Runtime.js';
import type { MetricsSnapshot } from '../../metrics/Metrics.js';
import type { StagesReport } from '../../console/ConsoleSource.js';
import type { EntityView } from '../../console/inspectEntity.js';
import type { AppsToHost } from '../hostApps.js';

/** What the worker hosts (the process's own AppsToHost), and where it stands among the workers. */
export interface WorkerData extends AppsToHost {
  readonly worker: number;
  readonly workers: number;
  /** The worker's end of its broker channel (BrokerService on the other). */
  readonly brokerPort: MessagePort;
  /** The module the bootstrap imports (workerThread.ts). */
  readonly entry: string;
  /** How many times this worker was started before (0: the first start). */
  readonly incarnation: number;
}

export interface WorkerStatus {
  readonly healthy: boolean;
  readonly readiness: RuntimeReadiness;
}

/** What the process asks a worker, and what each question is answered with. */
export type Question =
  | { readonly what: 'metrics' }
  | { readonly what: 'stages' }
  | { readonly what: 'inspect'; readonly app: string; readonly entity: string; readonly key: string }
  | { readonly what: 'keys'; readonly app: string; readonly entity: string; readonly prefix: string; readonly limit: number };

export interface Answers {
  metrics: MetricsSnapshot;
  stages: StagesReport;
  inspect: EntityView;
  keys: string[];
}

/** Pool → worker. */
export type ToWorkerThread =
  | { readonly type: 'ask'; readonly id: number; readonly question: Question }
  | { readonly type: 'stop' };

/** Worker → pool. */
export type FromWorkerThread =
  | { readonly type: 'started' }
  | { readonly type: 'status'; readonly status: WorkerStatus }
  | { readonly type: 'answer'; readonly id: number; readonly value?: unknown; readonly error?: { readonly message: string; readonly statusCode?: number } }
  | { readonly type: 'fatal'; readonly message: string };

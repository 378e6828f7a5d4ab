/**
 * `kastor run [apps...]`: the process a supervisor starts. Hosts the apps' actors and HTTP services;
 * SIGTERM/SIGINT drain (stop intake, finish and commit the batches in flight, flush) and exit 0
 * within a deadline; a fatal fault exits non-zero so that the supervisor restarts the process.
 */
import type { Server } from 'node:http';
import type { DependencyContainer } from 'tsyringe';
import type { Broker } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import type { IdSource } from '../ids/IdSource.js';
import type { Logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { Runtime } from '../host/Runtime.js';
import { createHttpApp } from '../http/createHttpApp.js';
import { type RateLimits, loadKeyRing } from '../http/auth/index.js';
import { processRoutes } from '../http/processRoutes.js';
import { consoleRoutes } from '../console/consoleRoutes.js';
import { DemoSwitch, startDemo } from '../console/demo.js';
import type { BackgroundService } from '../host/BackgroundService.js';
import { TOKENS, createContainer, type TransportOptions } from './container.js';
import { type Workers, inProcessEngine } from './ProcessEngine.js';
import { settleWorkerCount } from './workers/layout.js';
import { settleInstanceId } from './instanceId.js';
import { workersEngine } from './workers/workersEngine.js';
import type { DeploymentProfile } from '../topics/TopicDeclaration.js';
import { requireBroker } from './requireBroker.js';

export interface RunOptions extends TransportOptions {
  readonly apps: readonly string[];
  readonly port: number;
  readonly host?: string;
  readonly drainDeadlineMs?: number;
  /** Back the actors' state with changelog topics (RuntimeOptions.changelogs). */
  readonly changelogs?: boolean;
  /** Replication and retention of the topics created when missing (RuntimeOptions.deployment). */
  readonly profile?: DeploymentProfile;
  /** Actors kept in memory per entity (RuntimeOptions.maxLiveActors). */
  readonly maxLiveActors?: number;
  /** Records per batch a stage takes from a partition (RuntimeOptions.maxBatchSize; specs). */
  readonly maxBatchSize?: number;
  /** Token keys (default: the embedded HS256 key under the data directory) and write limits (docs/security.md). */
  readonly auth?: RunAuthOptions;
  /** Seeded traffic through the process's own routes, for the console's views (src/console/demo.ts). */
  readonly demo?: boolean;
  /**
   * Worker threads running the stages, each owning a share of every stage's partitions (default 1:
   * this thread). A data directory keeps the count it was written with (src/cli/workers/layout.ts).
   */
  readonly workers?: number;
  /** `workers` was asked for (a count that differs from the data directory's is then refused). */
  readonly workersExplicit?: boolean;
}

export interface RunAuthOptions {
  readonly keyFile?: string;
  readonly previousKeyFile?: string;
  readonly rateLimits?: RateLimits;
}

export interface RunningProcess {
  readonly server: Server;
  /** The stages' Runtime when they run on this thread (`workers` 1). */
  readonly runtime?: Runtime;
  /** Worker threads running the stages (1: this thread), and their pool when there are more. */
  readonly workers: number;
  readonly pool?: Workers;
  /** The log the process reads and writes (tools and specs that produce or read records). */
  readonly broker: Broker;
  readonly port: number;
  readonly log: Logger;
  stop(): Promise<void>;
}

export async function startProcess(options: RunOptions): Promise<RunningProcess> {
  // Before anything holds a client or a port: without a broker, the clients would retry for ever.
  if (options.transport === 'kafka') await requireBroker(options.brokers ?? '127.0.0.1:9092');
  // A key that cannot be read stops the start before anything opens.
  const keys = await loadKeyRing({ dataDir: options.dataDir, keyFile: options.auth?.keyFile, previousKeyFile: options.auth?.previousKeyFile });
  const workers = settleWorkerCount(options.dataDir, options.workers ?? 1, options.workersExplicit ?? options.workers !== undefined);
  const apps = { ...options, instance: settleInstanceId(options.dataDir) };
  const c: DependencyContainer = await createContainer(options);
  const clock = c.resolve<Clock>(TOKENS.clock);
  const ids = c.resolve<IdSource>(TOKENS.ids);
  const log = c.resolve<Logger>(TOKENS.logger);
  const metrics = c.resolve<Metrics>(TOKENS.metrics);
  const broker = c.resolve<Broker>(TOKENS.broker);
  const producer = broker.producer({ profile: 'reliable', clientId: 'kastor-edge' });

  // Declared before anything that may call stop(): a fatal fault can come during start-up.
  let stopping: Promise<void> | undefined;
  let demo: DemoSwitch | undefined;
  const deps = { broker, producer, clock, ids, logger: log, metrics, onFatal: exitOnFatal(log, () => stop()) };
  const engine = workers > 1 ? workersEngine(apps, workers, deps) : inProcessEngine(apps, deps);
  let background: readonly BackgroundService[] = [];
  try {
    await engine.start();
    background = engine.hosted.flatMap((h) => h.background ?? []);
    for (const service of background) await service.start();
  } catch (e) {
    // Close what was opened (librdkafka clients, the store), else they keep the process alive.
    for (const service of background) await service.stop().catch(() => undefined);
    await engine.stop().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await broker.close().catch(() => undefined);
    throw e;
  }
  const hosted = engine.hosted;

  const http = createHttpApp({ log, metrics, auth: { keys, clock, rateLimits: options.auth?.rateLimits } });
  processRoutes(http, engine.probes);
  for (const h of hosted) h.routes(http);
  const readModels = new Map(hosted.flatMap((h) => (h.readModel ? [[h.definition.name, h.readModel] as const] : [])));
  demo = new DemoSwitch(() => startDemo({ http, keys, clock, log, apps: hosted.map((h) => h.definition.name), dataDir: options.dataDir, env: process.env }));
  consoleRoutes(http, { source: engine.console, broker, clock, producer, log, readModels, demo });
  try {
    await http.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  } catch (e) {
    // The port is taken (or not ours): what started must not keep the process alive.
    await stop().catch(() => undefined);
    throw e;
  }
  const server = http.server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  log.info('kastor running', { apps: hosted.map((h) => h.definition.name), transport: options.transport, workers, instance: apps.instance, port, dataDir: options.dataDir, tokenKeys: keys.description });
  if (options.demo) await demo.set(true);

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      await demo?.set(false);
      // Stop intake; requests in flight finish (their records are produced and answered).
      // Long-lived responses (server-sent events) would hold close() open: cut them after a grace.
      const closed = http.close();
      const grace = setTimeout(() => server.closeAllConnections(), 1_000);
      await closed;
      clearTimeout(grace);
      for (const service of background) await service.stop();
      await engine.stop();
      await producer.close();
      await broker.close();
      log.info('kastor stopped');
    })();
    return stopping;
  }
  return { server, runtime: engine.runtime, pool: engine.pool, workers, broker, port, log, stop };
}

/**
 * The fatal-exit path (docs/operations.md): an unrecoverable fault — a stage whose supervisor gave
 * up — is logged once, the process drains what it can and exits 1, for the outer supervisor to
 * restart it.
 */
export function exitOnFatal(log: Logger, stop: () => Promise<void>): (error: Error) => void {
  let fatal = false;
  return (error) => {
    if (fatal) return;
    fatal = true;
    log.error('fatal fault, exiting', { error });
    process.exitCode = 1;
    void stop().finally(() => process.exit(1));
  };
}

/** Runs until a signal; drains within the deadline, else exits non-zero. */
export async function runUntilSignalled(options: RunOptions): Promise<void> {
  const running = await startProcess(options);
  const deadline = options.drainDeadlineMs ?? 15_000;
  const onSignal = (signal: string) => {
    running.log.info('draining', { signal });
    const timer = setTimeout(() => {
      running.log.error('drain deadline passed', { deadlineMs: deadline });
      process.exit(1);
    }, deadline);
    timer.unref();
    running.stop().then(() => process.exit(process.exitCode ?? 0), () => process.exit(1));
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

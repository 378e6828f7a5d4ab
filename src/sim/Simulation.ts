/**
 * Deterministic simulation (after FoundationDB's and TigerBeetle's simulators): the applications
 * run on the in-memory log under a virtual clock, fed by seeded traffic, with faults drawn from the
 * same seed — crashes between any two steps of the commit protocol (and the restart that follows),
 * dropped and duplicated sends, stopped partitions, redelivered batches, reordered deliveries.
 * Nothing reads the wall clock or Math.random, and the event loop is only used to flush promise
 * chains, so the same seed gives the same digest of every topic and read model, byte for byte.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Broker } from '../broker/Broker.js';
import type { BackgroundService } from '../host/BackgroundService.js';
import { KeyRing } from '../http/auth/index.js';
import type { HttpApp } from '../http/createHttpApp.js';
import type { BrokerRecord, TopicPartition } from '../broker/Record.js';
import { VirtualClock } from '../clock/VirtualClock.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import { SimulatedCrash } from '../host/CommitStep.js';
import { caughtUp } from '../host/lag.js';
import { Runtime } from '../host/Runtime.js';
import { type IdSource, seededIdSource, seededRandom } from '../ids/IdSource.js';
import { Metrics } from '../metrics/Metrics.js';
import type { StateStore } from '../store/StateStore.js';
import { CoverageRecorder, type IntentionallyUnreached, type MachineCoverage } from './coverage.js';
import { FaultCounter, type FaultKind, FaultyBroker } from './FaultyBroker.js';
import { EdgeProducer } from './EdgeProducer.js';
import type { Invariant } from './Invariant.js';
import { SimEdge, type SimRequest, isSimRequest } from './SimEdge.js';
import { SimScheduler, drain, whileDraining } from './SimScheduler.js';

/**
 * A record produced straight to a topic, past the edge's validation: what another producer (a
 * feed, a misbehaving client library) writes. Most traffic goes through the routes (SimRequest).
 */
export interface SimRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
}

export type SimCall = SimRequest | SimRecord;

export interface TrafficSource {
  /**
   * What clients do up to `until` (epoch ms), in order. Drawn lazily: a request's answer (its
   * `then`) is known before the next call is drawn, as a client knows the id of the post it made.
   */
  next(until: number): Iterable<SimCall>;
}

export type { Invariant };

/** What invariant checks can look at once the run settled. */
export interface SimView {
  readonly runtime: Runtime;
  /** Every record of a topic, partition by partition in offset order (the same array each call). */
  records(topic: string): readonly BrokerRecord[];
}

export interface SimApp {
  readonly definition: AppDefinition;
  /** Its routes, registered on the simulated process's HTTP edge. */
  routes?(app: HttpApp): void;
  /** Run beside the stages, from start to end of the run (not restarted with a crashed runtime). */
  readonly background?: readonly BackgroundService[];
  readonly traffic: TrafficSource;
  /** False while the app has work of its own under way (a source not yet read): settling goes on. */
  settled?(): boolean;
  check(view: SimView): Invariant[];
  /** Transitions of its machines the traffic never takes by design, with the reason (see coverage.ts). */
  readonly unreached?: IntentionallyUnreached;
}

export interface LogReader {
  read(tp: TopicPartition, from?: number, max?: number): readonly BrokerRecord[];
}

export interface SimEnvironment {
  readonly clock: VirtualClock;
  readonly ids: IdSource;
  /** For traffic generators: seeded, and separate from the fault and scheduling draws. */
  readonly random: () => number;
  /** The broker as the process sees it (faults included). */
  readonly broker: Broker;
  /** The edge services' producer: the broker's, retrying failed sends as a reliable client does. */
  readonly producer: EdgeProducer;
  readonly metrics: Metrics;
}

export interface SimulationOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly tickMs?: number;
  readonly start?: number;
  readonly faults?: readonly FaultKind[];
  /** Chance of a crash at each commit step when the `crash` fault is on. */
  readonly crashRate?: number;
  readonly makeBroker: (clock: VirtualClock, schedule: (task: () => void) => void) => Broker & LogReader;
  /** One store for the whole run: it survives the simulated crashes, as a file would. */
  readonly store: StateStore;
  readonly apps: (env: SimEnvironment) => SimApp[];
  /** A dump of the read models, for the digest. */
  readonly readModels?: () => string;
  readonly maxLiveActors?: number;
  /**
   * While settling, jump over the ticks in which nothing can happen (default true). False steps
   * through every one of them, for the spec that pins that both give the same run.
   */
  readonly skipIdleTicks?: boolean;
  /** Runs once the run settled, before the checks (specs tamper with a store here, to see a check fail). */
  readonly beforeChecks?: () => void;
  /** Told of each crash injected (for tracing a failing seed). */
  readonly faultLog?: (step: string, stage: string) => void;
}

export interface SimReport {
  readonly seed: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
  readonly speedup: number;
  /** The process's peak resident set so far (MiB): a run's own when it has the process to itself, as in the CLI. */
  readonly peakRssMiB: number;
  readonly recordsGenerated: number;
  readonly eventsProcessed: number;
  readonly restarts: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly invariants: readonly Invariant[];
  readonly digest: string;
  readonly ok: boolean;
  /** Per machine, by name: the transitions taken and never taken (coverage.ts). */
  readonly coverage: readonly MachineCoverage[];
}

export async function simulate(options: SimulationOptions): Promise<SimReport> {
  const wallStart = performance.now();
  const tick = options.tickMs ?? 1_000;
  const start = options.start ?? Date.parse('2026-01-01T00:00:00Z');
  const end = start + options.durationMs;
  const faults = new Set(options.faults ?? []);
  const faultRandom = seededRandom(options.seed * 7 + 1);
  const clock = new VirtualClock(start);
  const scheduler = new SimScheduler(faults.has('reorder') ? seededRandom(options.seed * 7 + 2) : undefined);
  const log = options.makeBroker(clock, scheduler.schedule);
  const counter = new FaultCounter();
  const broker: Broker = faults.size > 0 ? new FaultyBroker(log, faults, faultRandom, clock, counter) : log;
  const metrics = new Metrics();
  const producer = new EdgeProducer(broker.producer({ clientId: 'sim-edge' }));
  const env: SimEnvironment = {
    clock, ids: seededIdSource(options.seed * 7 + 3), random: seededRandom(options.seed * 7 + 4), broker, producer, metrics,
  };
  const apps = options.apps(env);
  const coverage = new CoverageRecorder(
    new Map(apps.flatMap(({ definition }) => definition.entities.map((e) => [`${definition.name}.${e.name}`, e.machine] as const))),
  );
  const crashRate = options.crashRate ?? 0.002;
  let restarts = 0;

  const startRuntime = async (): Promise<Runtime> => {
    const runtime = new Runtime(apps.map((a) => a.definition), {
      broker,
      store: options.store,
      clock,
      ids: env.ids,
      metrics,
      backoffMs: () => 100,
      maxLiveActors: options.maxLiveActors,
      schedule: scheduler.schedule,
      inspect: coverage.inspect,
      faults: faults.has('crash')
        ? (step, stage) => {
            if (faultRandom() < crashRate) {
              counter.add('crash');
              options.faultLog?.(step, stage);
              throw new SimulatedCrash(step);
            }
          }
        : undefined,
    });
    await runtime.start();
    return runtime;
  };
  let runtime = await whileDraining(scheduler, clock, startRuntime());
  const edge = new SimEdge(apps.flatMap((a) => (a.routes ? [a.routes.bind(a)] : [])), producer, await seededAuth(options.seed, clock));
  await edge.ready();
  const background = apps.flatMap((a) => a.background ?? []);
  for (const service of background) await whileDraining(scheduler, clock, service.start());
  let generated = 0;

  /** A runner died: the whole process restarts, as its supervisor would. */
  const restartIfCrashed = async () => {
    if (runtime.stageRunners.every((r) => r.running)) return;
    await whileDraining(scheduler, clock, runtime.kill());
    restarts++;
    runtime = await whileDraining(scheduler, clock, startRuntime());
  };
  const step = async () => {
    await drain(scheduler);
    await restartIfCrashed();
    await drain(scheduler);
  };

  for (let t = start + tick; t <= end; t += tick) {
    clock.advanceTo(t);
    // What the clock's move set off (a connector's poll, a job) starts before the clients call.
    await drain(scheduler);
    for (const app of apps) {
      for (const call of app.traffic.next(t)) {
        generated++;
        if (isSimRequest(call)) await edge.call(call);
        else await producer.send([{ topic: call.topic, key: call.key, value: call.value }]);
      }
    }
    await step();
  }
  // Let the system finish: time moves on (backoffs, paused partitions, timers) until all is consumed.
  for (let rounds = 0; ; rounds++) {
    await step();
    const settled = () => apps.every((a) => a.settled?.() ?? true);
    if (settled() && (await caughtUp(runtime, log, options.store))) {
      await step();
      if (settled() && (await caughtUp(runtime, log, options.store))) break;
    }
    if (rounds > MAX_SETTLE_ROUNDS) throw new Error('simulation did not settle');
    // Nothing is runnable, no runner waits for its restart and no timer falls in the next ticks:
    // those rounds would do nothing (a stage waiting out a window, a paused partition), so time
    // jumps to the tick of the next timer, where a round-by-round settle would have found it.
    // The rounds still count.
    const idle = options.skipIdleTicks !== false && scheduler.idle && runtime.stageRunners.every((r) => r.running);
    const skipped = idle ? Math.min(idleTicks(clock, tick), MAX_SETTLE_ROUNDS + 1 - rounds) : 0;
    rounds += skipped;
    clock.advance(tick * (skipped + 1));
  }

  // The log no longer changes: each topic is read once, for the checks and the digest alike.
  const topics = new Map<string, readonly BrokerRecord[]>();
  const records = (topic: string) => {
    let all = topics.get(topic);
    if (!all) topics.set(topic, (all = readTopic(log, topic)));
    return all;
  };
  const view: SimView = { runtime, records };
  options.beforeChecks?.();
  const invariants = [edge.invariant(), ...apps.flatMap((a) => a.check(view))];
  const digest = await digestOf(log, records, options.readModels?.() ?? '');
  for (const service of background) await whileDraining(scheduler, clock, service.stop());
  await whileDraining(scheduler, clock, runtime.stop());
  await edge.close();
  await producer.close();
  const wallMs = performance.now() - wallStart;
  return {
    seed: options.seed,
    simulatedMs: options.durationMs,
    wallMs,
    speedup: options.durationMs / Math.max(1, wallMs),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    recordsGenerated: generated,
    eventsProcessed: metrics.value('kastor_events_in_total'),
    restarts,
    faults: counter.counts,
    invariants,
    digest,
    ok: invariants.every((i) => i.held),
    coverage: coverage.report(Object.assign({}, ...apps.map((a) => a.unreached ?? {}))),
  };
}

const MAX_SETTLE_ROUNDS = 10_000;

/** The edge's keys and ticket secrets, drawn from the seed: the same tokens in every run of it. */
async function seededAuth(seed: number, clock: VirtualClock) {
  const random = seededRandom(seed * 7 + 5);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const keys = await KeyRing.of([{ alg: 'HS256', kid: 'sim', secret: bytes(32) }]);
  return { keys, clock, ticketSecret: () => Buffer.from(bytes(32)).toString('base64url') };
}

/** Whole ticks from now in which no timer is due (all of them when none is set). */
export function idleTicks(clock: VirtualClock, tick: number): number {
  const next = clock.nextDue();
  if (next === undefined) return Infinity;
  return Math.max(0, Math.ceil((next - clock.now()) / tick) - 1);
}

/** Every record of a topic, partition by partition in offset order. */
export function readTopic(log: LogReader, topic: string): BrokerRecord[] {
  let out: BrokerRecord[] = [];
  for (let partition = 0; ; partition++) {
    let records: readonly BrokerRecord[];
    try {
      records = log.read({ topic, partition });
    } catch {
      break;
    }
    // Not push(...records): a partition of an hour's run holds more records than a call has arguments.
    out = out.length === 0 ? (records as BrokerRecord[]) : out.concat(records);
  }
  return out;
}

async function digestOf(log: Broker, records: (topic: string) => readonly BrokerRecord[], readModels: string): Promise<string> {
  const hash = createHash('sha256');
  const topics = (await log.admin.listTopics()).map((t) => t.name).sort();
  for (const topic of topics) {
    for (const r of records(topic)) {
      hash.update(`${r.topic}\t${r.partition}\t${r.offset}\t${r.key}\t${r.timestamp}\t${headersJson(r.headers)}\t${r.value}\n`);
    }
  }
  hash.update(readModels);
  return hash.digest('hex');
}

/** JSON.stringify(headers), without its cost for the usual empty object. */
function headersJson(headers: BrokerRecord['headers']): string {
  if (headers === null || typeof headers !== 'object' || Object.getPrototypeOf(headers) !== Object.prototype) return JSON.stringify(headers);
  for (const _ in headers) return JSON.stringify(headers);
  return '{}';
}

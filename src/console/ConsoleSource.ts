/**
 * Where the console's overview and inspector get their facts: from the Runtime of this thread
 * (`localConsoleSource`), or gathered from the worker threads that each run a share of the
 * partitions (`mergeStageReports` puts their shares together; src/cli/workers/).
 */
import type { Broker } from '../broker/Broker.js';
import type { AppDefinition } from '../host/AppDefinition.js';
import type { Runtime } from '../host/Runtime.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { StateStore } from '../store/StateStore.js';
import { type TopicPartitionCounts, stageAppOf } from './consoleTopology.js';
import { type EntityView, hostNamed, inspectEntity } from './inspectEntity.js';

export interface PartitionRow {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the stage will read, as its store holds it (0: never read). */
  readonly committed: number;
  readonly high: number;
  readonly lag: number;
}

export interface StageRow {
  readonly name: string;
  readonly app: string;
  /** running, backing-off, given-up, down (StageStatus). */
  readonly status: string;
  readonly restored: boolean;
  readonly topics: readonly string[];
  /** The `topic/partition`s assigned to this process's runner. */
  readonly assigned: readonly string[];
  readonly partitions: readonly PartitionRow[];
  readonly lag: number;
  readonly eventsIn: number;
  readonly eventsOut: number;
  /** Per second since the previous sample (0 on the first). */
  readonly inPerSecond: number;
  readonly outPerSecond: number;
  /** Actor hosts only. */
  readonly liveActors?: number;
  readonly passivations?: number;
  /** Runner restarts by the supervisor, and batch retries after a failure. */
  readonly restarts: number;
  readonly retries: number;
  readonly deadLetters: number;
}

/** A stage's row without its rates (the overview computes them between samples). */
export type StageFacts = Omit<StageRow, 'inPerSecond' | 'outPerSecond'>;

export interface StagesReport {
  readonly healthy: boolean;
  readonly ready: boolean;
  readonly stages: readonly StageFacts[];
}

export interface ConsoleSource {
  readonly apps: readonly AppDefinition[];
  stages(): Promise<StagesReport>;
  /** The inspector's view of one key's actor; HttpError 404 when no event for it arrived. */
  inspect(app: string, entity: string, key: string): Promise<EntityView>;
  /** Keys of the entity's stored actors that start with `prefix`, in order (the inspector's search). */
  keys(app: string, entity: string, prefix: string, limit: number): Promise<string[]>;
}

export interface LocalConsoleDeps {
  readonly runtime: Runtime;
  /** The high watermarks; none: rows carry their stored offsets only (high and lag 0, for `withHighs`). */
  readonly broker?: Broker;
  readonly store: StateStore;
  readonly metrics: Metrics;
  readonly partitions: TopicPartitionCounts;
}

export function localConsoleSource(deps: LocalConsoleDeps): ConsoleSource {
  return {
    apps: deps.runtime.apps,
    stages: () => localStages(deps),
    inspect: (app, entity, key) => inspectEntity(deps, app, entity, key),
    keys: async (app, entity, prefix, limit) => deps.store.stage(hostNamed(deps.runtime, app, entity).name).keysWithPrefix(prefix, limit),
  };
}

/** Every stage of this Runtime, with the offsets its store holds and the broker's high watermarks. */
export async function localStages(deps: LocalConsoleDeps): Promise<StagesReport> {
  const { runtime, store, metrics, broker, partitions } = deps;
  const statuses = runtime.stages;
  const stages: StageFacts[] = [];
  for (const runner of runtime.stageRunners) {
    const name = runner.stage.name;
    const labels = { stage: name };
    const rows: PartitionRow[] = [];
    const stageStore = store.stage(name);
    for (const topic of runner.stage.topics) {
      const count = await partitions.of(topic);
      const tps = Array.from({ length: count }, (_, partition) => ({ topic, partition }));
      const stored = stageStore.offsets(tps);
      // One round trip per partition on Kafka: asked together, not one after the other.
      const highs = broker ? await Promise.all(tps.map(async (tp) => (await broker.admin.watermarks(tp)).high)) : tps.map(() => 0);
      tps.forEach((tp, i) => {
        const committed = stored.get(`${topic}/${tp.partition}`) ?? 0;
        rows.push({ topic, partition: tp.partition, committed, high: highs[i], lag: Math.max(0, highs[i] - committed) });
      });
    }
    const host = hostOf(runtime, name);
    stages.push({
      name,
      app: stageAppOf(runtime.apps, name),
      status: statuses.get(name) ?? 'down',
      restored: runner.restored,
      topics: runner.stage.topics,
      assigned: [...runner.assignments].sort(),
      partitions: rows,
      lag: rows.reduce((sum, r) => sum + r.lag, 0),
      eventsIn: metrics.value('kastor_events_in_total', labels),
      eventsOut: metrics.value('kastor_events_out_total', labels),
      liveActors: host?.liveActors,
      passivations: host ? metrics.value('kastor_passivations_total', labels) : undefined,
      restarts: metrics.value('kastor_stage_restarts_total', labels),
      retries: metrics.value('kastor_restarts_total', labels),
      deadLetters: metrics.value('kastor_dead_letters_total', labels),
    });
  }
  return { healthy: runtime.healthy, ready: runtime.ready, stages };
}

/**
 * One report from the workers' (`reports[i]` from worker i of N): a partition's row is its owner's
 * (partition p belongs to worker p mod N), counts are summed, a stage is as well as its worst worker.
 */
export function mergeStageReports(reports: readonly StagesReport[]): StagesReport {
  const n = reports.length;
  const byName = new Map<string, StageFacts[]>();
  for (const report of reports) for (const s of report.stages) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const sum = (shares: readonly StageFacts[], f: (s: StageFacts) => number | undefined) => shares.reduce((t, s) => t + (f(s) ?? 0), 0);
  const stages = [...byName.values()].map((shares): StageFacts => {
    const first = shares[0];
    const partitions = first.partitions.map((row) => {
      const owner = reports[row.partition % n]?.stages.find((s) => s.name === first.name);
      return owner?.partitions.find((r) => r.topic === row.topic && r.partition === row.partition) ?? row;
    });
    return {
      ...first,
      status: shares.find((s) => s.status !== 'running')?.status ?? first.status,
      restored: shares.every((s) => s.restored),
      assigned: shares.flatMap((s) => s.assigned).sort(),
      partitions,
      lag: partitions.reduce((t, r) => t + r.lag, 0),
      eventsIn: sum(shares, (s) => s.eventsIn),
      eventsOut: sum(shares, (s) => s.eventsOut),
      liveActors: first.liveActors === undefined ? undefined : sum(shares, (s) => s.liveActors),
      passivations: first.passivations === undefined ? undefined : sum(shares, (s) => s.passivations),
      restarts: sum(shares, (s) => s.restarts),
      retries: sum(shares, (s) => s.retries),
      deadLetters: sum(shares, (s) => s.deadLetters),
    };
  });
  return { healthy: reports.every((r) => r.healthy), ready: reports.every((r) => r.ready), stages };
}

/**
 * The report with each partition's high watermark and lag from `broker` — for the shares of worker
 * threads, which leave them out rather than ask the process's broker across a busy port.
 */
export async function withHighs(report: StagesReport, broker: Broker): Promise<StagesReport> {
  const highs = new Map<string, Promise<number>>();
  const high = (topic: string, partition: number) => {
    const key = `${topic}/${partition}`;
    let h = highs.get(key);
    if (!h) highs.set(key, (h = broker.admin.watermarks({ topic, partition }).then((w) => w.high)));
    return h;
  };
  const stages = await Promise.all(report.stages.map(async (stage) => {
    const partitions = await Promise.all(stage.partitions.map(async (row) => {
      const h = await high(row.topic, row.partition);
      return { ...row, high: h, lag: Math.max(0, h - row.committed) };
    }));
    return { ...stage, partitions, lag: partitions.reduce((t, r) => t + r.lag, 0) };
  }));
  return { ...report, stages };
}

function hostOf(runtime: Runtime, stage: string): { liveActors: number } | undefined {
  const [app, entity, ...rest] = stage.split('.');
  if (rest.length > 0 || entity === undefined) return undefined;
  try {
    return runtime.host(app, entity);
  } catch {
    return undefined;
  }
}

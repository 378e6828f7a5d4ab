/**
 * Assembles applications into running stages: topics created from the declarations, one actor host
 * per entity, one repartitioner per re-keyed input, one projection stage per read model, each under
 * its own StageRunner under its own StageSupervisor (so a failing stage is restarted without
 * touching the others; a stage that keeps failing is reported to `onFatal`).
 */
import type { Subscription } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { defaultSupervision } from '../../config/supervision.js';
import type { Broker, Producer } from '../broker/Broker.js';
import type { Clock } from '../clock/Clock.js';
import type { EventEnvelope, EventSchema } from '../events/EventSchema.js';
import type { IdSource } from '../ids/IdSource.js';
import type { Logger } from '../log/Logger.js';
import { silentLogger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { StateStore } from '../store/StateStore.js';
import { type DeploymentProfile, topicSpec } from '../topics/TopicDeclaration.js';
import { ActorHost } from './ActorHost.js';
import type { AppDefinition } from './AppDefinition.js';
import type { FaultHook } from './CommitStep.js';
import { ProjectionStage } from './ProjectionStage.js';
import { RepartitionStage } from './RepartitionStage.js';
import type { Stage } from './Stage.js';
import { StageRunner } from './StageRunner.js';
import { type StageStatus, StageSupervisor, type SupervisionPolicy } from './StageSupervisor.js';
import { allTopics, changelogTopic, deadLetterTopic, entityPartitions, repartitionTopic } from './topology.js';

export interface RuntimeOptions {
  readonly broker: Broker;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  readonly faults?: FaultHook;
  readonly deployment?: DeploymentProfile;
  readonly maxBatchSize?: number;
  readonly maxAttempts?: number;
  readonly maxLiveActors?: number;
  readonly backoffMs?: (attempt: number) => number;
  /** How failed stages are restarted (default: config/supervision.ts). */
  readonly supervision?: SupervisionPolicy;
  /**
   * An unrecoverable fault (a stage's supervisor gave up, or a broker client met a fatal error:
   * Broker.fatalErrors): the process should exit non-zero.
   * Called once; without it, the given-up stage stays down and the runtime unhealthy.
   */
  readonly onFatal?: (error: Error) => void;
  /**
   * Back every actor host's state with its changelog topic (SPEC §5): state records and offset
   * markers are produced with the outbox, and a partition this store knows nothing of is restored
   * from it. For the kafka transport, where partitions move between instances; off by default.
   */
  readonly changelogs?: boolean;
  /** Where stage runners defer work to (see StageRunnerOptions.schedule). */
  readonly schedule?: (task: () => void) => void;
  /** Told of what every actor host's actors do, by host (`<app>.<entity>`): XState's inspection API. */
  readonly inspect?: (host: string, event: InspectionEvent) => void;
  /**
   * This instance's name (src/cli/instanceId.ts): a stage every instance reads whole
   * (Stage.everyInstance) reads in a group of its own, `kastor.<stage>.<instance>`. Without it, such
   * a stage reads in `kastor.<stage>` as any other (one instance: the same thing).
   */
  readonly instance?: string;
}

/** What a stage holds here and whether it is ready: every partition it was assigned is restored. */
export interface StageReadiness {
  readonly ready: boolean;
  /** Partitions assigned to this instance, by topic (empty: another instance holds them all). */
  readonly assigned: Readonly<Record<string, readonly number[]>>;
  /** Assigned partitions (`topic/partition`) still being restored. */
  readonly restoring: readonly string[];
}

export interface RuntimeReadiness {
  readonly ready: boolean;
  readonly stages: Readonly<Record<string, StageReadiness>>;
}

/** Creates every topic the applications need (never left to broker auto-creation). */
export async function ensureTopics(broker: Broker, apps: readonly AppDefinition[], deployment: DeploymentProfile = 'local'): Promise<void> {
  await broker.admin.createTopics(apps.flatMap((app) => allTopics(app)).map((t) => topicSpec(t, deployment)));
}

export class Runtime {
  private readonly supervisors: StageSupervisor[] = [];
  private readonly hosts = new Map<string, ActorHost>();
  private producer?: Producer;
  private fatal = false;
  private fatalErrors?: Subscription;

  constructor(readonly apps: readonly AppDefinition[], private readonly options: RuntimeOptions) {}

  get supervision(): SupervisionPolicy {
    return this.options.supervision ?? defaultSupervision;
  }

  /** Creates every topic the applications need (never left to broker auto-creation). */
  ensureTopics(): Promise<void> {
    return ensureTopics(this.options.broker, this.apps, this.options.deployment);
  }

  async start(): Promise<void> {
    // A client that cannot go on ends the process, whichever stage (or none) it serves.
    this.fatalErrors = this.options.broker.fatalErrors?.subscribe((error) => this.failed(error));
    await this.ensureTopics();
    this.producer = this.options.broker.producer({ profile: 'reliable', clientId: 'kastor-outbox' });
    const metrics = this.options.metrics;
    metrics?.gauge('kastor_supervision_max_restarts', 'Stage restarts allowed within the window before the process exits')({}, this.supervision.maxRestarts);
    metrics?.gauge('kastor_supervision_window_seconds', 'The window stage restarts are counted in')({}, this.supervision.windowMs / 1_000);
    for (const app of this.apps) {
      for (const stage of this.stagesOf(app)) this.supervisors.push(this.supervisorFor(app, stage));
    }
    for (const supervisor of this.supervisors) await supervisor.start();
  }

  /** Graceful: every runner drains and commits, then the producer flushes. */
  async stop(): Promise<void> {
    this.fatalErrors?.unsubscribe();
    await Promise.all(this.supervisors.map((s) => s.stop()));
    await this.producer?.close();
  }

  /** As kill -9: nothing more is written or flushed, and no stage is restarted. */
  async kill(): Promise<void> {
    this.fatalErrors?.unsubscribe();
    await Promise.all(this.supervisors.map((s) => s.kill(new Error('runtime killed'))));
  }

  host(app: string, entity: string): ActorHost {
    const host = this.hosts.get(`${app}.${entity}`);
    if (!host) throw new Error(`no entity ${entity} in app ${app}`);
    return host;
  }

  /** Each stage's current runner (while a stage backs off, its dead one). */
  get stageRunners(): readonly StageRunner[] {
    return this.supervisors.map((s) => s.runner);
  }

  /** Each stage's status: running, or why not (backing off before a restart, given up, ...). */
  get stages(): ReadonlyMap<string, StageStatus> {
    return new Map(this.supervisors.map((s) => [s.stage.name, s.status]));
  }

  /**
   * Healthy, and every stage joined its group and restored each partition it was assigned from its
   * stored offsets (or changelog). A stage assigned nothing here (another instance holds all its
   * partitions) is ready.
   */
  get ready(): boolean {
    return this.healthy && this.supervisors.every((s) => s.runner.restored);
  }

  /** `ready`, with what each stage holds on this instance and what it still restores. */
  get readiness(): RuntimeReadiness {
    const stages: Record<string, StageReadiness> = {};
    for (const s of this.supervisors) {
      const assigned: Record<string, number[]> = {};
      for (const key of s.runner.assignments) {
        const cut = key.lastIndexOf('/');
        (assigned[key.slice(0, cut)] ??= []).push(Number(key.slice(cut + 1)));
      }
      for (const partitions of Object.values(assigned)) partitions.sort((a, b) => a - b);
      stages[s.stage.name] = { ready: s.status === 'running' && s.runner.restored, assigned, restoring: s.runner.restoring };
    }
    return { ready: this.ready, stages };
  }

  /** Every stage runs: none is backing off, given up, crashed or stopped. */
  get healthy(): boolean {
    return this.supervisors.length > 0 && this.supervisors.every((s) => s.status === 'running');
  }

  private stagesOf(app: AppDefinition): Stage[] {
    const stages: Stage[] = [];
    for (const entity of app.entities) {
      const inputs = new Map<string, EventSchema<EventEnvelope>>();
      for (const input of entity.inputs) {
        const target = repartitionTopic(app.name, input);
        if (target && input.rekey) {
          stages.push(new RepartitionStage({
            name: `${app.name}.${entity.name}.repartition.${input.topic.name}`,
            source: input.topic.name,
            target: target.name,
            schema: input.topic.schema,
            key: input.rekey.key,
          }));
        }
        inputs.set(target?.name ?? input.topic.name, input.topic.schema);
      }
      const name = `${app.name}.${entity.name}`;
      let changelog: string | undefined;
      if (this.options.changelogs) {
        const partitions = new Set(entityPartitions(app.name, entity));
        if (partitions.size > 1) {
          throw new Error(`entity ${name} reads topics of ${[...partitions].join(' and ')} partitions: its state cannot follow its partitions into one changelog (co-partition its inputs)`);
        }
        changelog = changelogTopic(app.name, entity).name;
      }
      const inspect = this.options.inspect;
      const host = new ActorHost({
        name,
        machine: entity.machine,
        inputs,
        outputs: entity.outputs,
        store: this.options.store.stage(name),
        clock: this.options.clock,
        ids: this.options.ids,
        maxLiveActors: entity.maxLiveActors ?? this.options.maxLiveActors,
        metrics: this.options.metrics,
        changelog,
        inspect: inspect && ((event) => inspect(name, event)),
      });
      this.hosts.set(name, host);
      stages.push(host);
    }
    for (const projection of app.projections ?? []) stages.push(new ProjectionStage(projection));
    stages.push(...(app.stages ?? []));
    return stages;
  }

  private supervisorFor(app: AppDefinition, stage: Stage): StageSupervisor {
    const o = this.options;
    return new StageSupervisor({
      stage,
      runner: (onFatal) => this.runnerFor(app, stage, onFatal),
      policy: this.supervision,
      clock: o.clock,
      logger: o.logger,
      metrics: o.metrics,
      onGiveUp: (error) => this.failed(error),
    });
  }

  /** Reported once: the process should end. */
  private failed(error: Error): void {
    if (this.fatal) return;
    this.fatal = true;
    this.options.onFatal?.(error);
  }

  private runnerFor(app: AppDefinition, stage: Stage, onFatal: (error: Error) => void): StageRunner {
    const o = this.options;
    return new StageRunner({
      stage,
      broker: o.broker,
      store: o.store.stage(stage.name),
      producer: this.producer!,
      clock: o.clock,
      deadLetterTopic: deadLetterTopic(app.name).name,
      maxBatchSize: o.maxBatchSize,
      maxAttempts: o.maxAttempts,
      backoffMs: o.backoffMs,
      faults: o.faults,
      logger: o.logger ?? silentLogger,
      metrics: o.metrics,
      onFatal,
      schedule: o.schedule,
      instance: o.instance,
    });
  }
}

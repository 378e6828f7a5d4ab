/**
 * Assembles applications into running stages: topics created from the declarations, one actor host
 * per entity, one repartitioner per re-keyed input, one projection stage per read model, each under
 * its own StageRunner (so a failing stage is restarted without touching the others).
 */
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
  readonly onFatal?: (error: Error) => void;
  /**
   * Back every actor host's state with its changelog topic (SPEC §5): state records and offset
   * markers are produced with the outbox, and a partition this store knows nothing of is restored
   * from it. For the kafka transport, where partitions move between instances; off by default.
   */
  readonly changelogs?: boolean;
  /** Where stage runners defer work to (see StageRunnerOptions.schedule). */
  readonly schedule?: (task: () => void) => void;
}

export class Runtime {
  private readonly runners: StageRunner[] = [];
  private readonly hosts = new Map<string, ActorHost>();
  private producer?: Producer;

  constructor(readonly apps: readonly AppDefinition[], private readonly options: RuntimeOptions) {}

  /** Creates every topic the applications need (never left to broker auto-creation). */
  async ensureTopics(): Promise<void> {
    const specs = this.apps.flatMap((app) => allTopics(app)).map((t) => topicSpec(t, this.options.deployment ?? 'local'));
    await this.options.broker.admin.createTopics(specs);
  }

  async start(): Promise<void> {
    await this.ensureTopics();
    this.producer = this.options.broker.producer({ profile: 'reliable', clientId: 'kastor-outbox' });
    for (const app of this.apps) {
      for (const stage of this.stagesOf(app)) this.runners.push(this.runnerFor(app, stage));
    }
    for (const runner of this.runners) await runner.start();
  }

  /** Graceful: every runner drains and commits, then the producer flushes. */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.producer?.close();
  }

  /** As kill -9: nothing more is written or flushed. */
  async kill(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.kill(new Error('runtime killed'))));
  }

  host(app: string, entity: string): ActorHost {
    const host = this.hosts.get(`${app}.${entity}`);
    if (!host) throw new Error(`no entity ${entity} in app ${app}`);
    return host;
  }

  get stageRunners(): readonly StageRunner[] {
    return this.runners;
  }

  /** Healthy, and every stage got its partitions and restored them from its stored offsets. */
  get ready(): boolean {
    return this.healthy && this.runners.every((r) => r.restored);
  }

  /** Every runner started and none crashed. */
  get healthy(): boolean {
    return this.runners.length > 0 && this.runners.every((r) => r.running);
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
      });
      this.hosts.set(name, host);
      stages.push(host);
    }
    for (const projection of app.projections ?? []) stages.push(new ProjectionStage(projection));
    stages.push(...(app.stages ?? []));
    return stages;
  }

  private runnerFor(app: AppDefinition, stage: Stage): StageRunner {
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
      onFatal: o.onFatal,
      schedule: o.schedule,
    });
  }
}

/**
 * What an application declares to the runtime: its topics, its entities (an XState machine each,
 * with the topics that feed it and the topics its emitted events go to) and its read models.
 */
import type { AnyStateMachine } from 'xstate';
import type { EventEnvelope } from '../events/EventSchema.js';
import type { TopicDeclaration } from '../topics/TopicDeclaration.js';
import type { Projection } from './ProjectionStage.js';
import type { Stage } from './Stage.js';

export interface Rekey {
  /** Name of the new key, for the repartition topic's name: `<data name>_by_<keyName>`. */
  readonly keyName: string;
  readonly key: (event: EventEnvelope) => string;
  /** Partitions of the repartition topic (default: the source's). One for a global aggregate. */
  readonly partitions?: number;
}

export interface EntityInput {
  readonly topic: TopicDeclaration<any>;
  /** Set when the entity is keyed differently from the topic: it reads through a repartition topic. */
  readonly rekey?: Rekey;
}

export interface EntityDefinition {
  /** Unique within the app, e.g. `post`. */
  readonly name: string;
  readonly machine: AnyStateMachine;
  readonly inputs: readonly EntityInput[];
  /** Emitted event type → output topic. */
  readonly outputs: Readonly<Record<string, TopicDeclaration<any>>>;
  readonly maxLiveActors?: number;
}

export interface AppDefinition {
  /** The dataset part of its topic names, e.g. `social`. */
  readonly name: string;
  readonly topics: readonly TopicDeclaration<any>[];
  readonly entities: readonly EntityDefinition[];
  readonly projections?: readonly Projection[];
  /** Further stages under the commit protocol (sink connectors, aggregators). */
  readonly stages?: readonly Stage[];
}

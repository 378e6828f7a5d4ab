/**
 * Derives what the runtime adds to an application's own declarations: a dead-letter topic per
 * application, a repartition topic per re-keyed input and a changelog topic per entity.
 */
import { z } from 'zod';
import { zodEventSchema } from '../events/EventSchema.js';
import { DAY, FOREVER, type TopicDeclaration, declareTopic } from '../topics/TopicDeclaration.js';
import type { AppDefinition, EntityDefinition, EntityInput } from './AppDefinition.js';

const anyValue = zodEventSchema(z.unknown());

export function deadLetterTopic(app: string): TopicDeclaration {
  return declareTopic('queuing', app, 'dead_letters', {
    partitions: 3,
    key: 'original key',
    retentionMs: 14 * DAY,
    schema: anyValue,
    description: 'records that could not be processed, with kastor.dlq.* headers naming where from and why',
  });
}

export function repartitionTopic(app: string, input: EntityInput): TopicDeclaration | undefined {
  if (!input.rekey) return undefined;
  const source = input.topic;
  const dataName = source.name.split('.').pop()!;
  return {
    ...source,
    name: `internal.${app}.${dataName}_by_${input.rekey.keyName}`,
    key: input.rekey.keyName,
    partitions: input.rekey.partitions ?? source.partitions,
    description: `${source.name} re-keyed by ${input.rekey.keyName}`,
  };
}

/** Partition counts of what an entity's actors read (repartition topics in place of re-keyed inputs). */
export function entityPartitions(app: string, entity: EntityDefinition): number[] {
  return entity.inputs.map((input) => repartitionTopic(app, input)?.partitions ?? input.topic.partitions);
}

/**
 * The compacted topic that backs an entity's actor state (SPEC §5, as a Kafka Streams changelog):
 * the latest snapshot of every actor, on the partition of its input records, and the input
 * offsets that state reflects (ChangelogRecords.ts), so that a partition's state moves with it.
 */
export function changelogTopic(app: string, entity: EntityDefinition): TopicDeclaration {
  const first = entity.inputs[0];
  return declareTopic('internal', app, `${entity.name}_changelog`, {
    partitions: Math.max(...entityPartitions(app, entity)),
    key: first?.rekey?.keyName ?? first?.topic.key ?? 'key',
    retentionMs: FOREVER,
    cleanupPolicy: 'compact',
    schema: anyValue,
    description: `the state of every ${entity.name} actor, latest snapshot per key, and the input offsets it reflects`,
  });
}

/** Every topic the application needs: declared, repartition, changelog and dead-letter topics. */
export function allTopics(app: AppDefinition): TopicDeclaration[] {
  const topics = new Map<string, TopicDeclaration>();
  for (const t of app.topics) topics.set(t.name, t);
  for (const entity of app.entities) {
    for (const input of entity.inputs) {
      const r = repartitionTopic(app.name, input);
      if (r) topics.set(r.name, r);
    }
    const changelog = changelogTopic(app.name, entity);
    topics.set(changelog.name, changelog);
  }
  const dlq = deadLetterTopic(app.name);
  topics.set(dlq.name, dlq);
  return [...topics.values()];
}

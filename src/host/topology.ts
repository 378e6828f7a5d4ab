/**
 * Derives what the runtime adds to an application's own declarations: a dead-letter topic per
 * application and a repartition topic per re-keyed input.
 */
import { z } from 'zod';
import { zodEventSchema } from '../events/EventSchema.js';
import { DAY, type TopicDeclaration, declareTopic } from '../topics/TopicDeclaration.js';
import type { AppDefinition, EntityInput } from './AppDefinition.js';

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

/** Every topic the application needs: declared, repartition and dead-letter topics. */
export function allTopics(app: AppDefinition): TopicDeclaration[] {
  const topics = new Map<string, TopicDeclaration>();
  for (const t of app.topics) topics.set(t.name, t);
  for (const entity of app.entities) {
    for (const input of entity.inputs) {
      const r = repartitionTopic(app.name, input);
      if (r) topics.set(r.name, r);
    }
  }
  const dlq = deadLetterTopic(app.name);
  topics.set(dlq.name, dlq);
  return [...topics.values()];
}

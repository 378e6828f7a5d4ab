/**
 * A minimal application for host specs: a counter actor per key that adds `n`, emits the total,
 * and fails on `counter.poison` — a poisoned record.
 */
import { z } from 'zod';
import { assign, emit, setup } from 'xstate';
import { envelopeFields, zodEventSchema } from '../../src/events/EventSchema.js';
import { declareTopic, DAY } from '../../src/topics/TopicDeclaration.js';
import type { AppDefinition } from '../../src/host/AppDefinition.js';

const added = z.object({ ...envelopeFields, type: z.literal('counter.added'), n: z.number().int() });
const poison = z.object({ ...envelopeFields, type: z.literal('counter.poison') });
type CounterEvent = z.infer<typeof added> | z.infer<typeof poison>;

/** The counter's topics under a dataset (`spec` by default; the Kafka specs use a unique one). */
export function counterTopicsOf(dataset: string) {
  return {
    input: declareTopic('tracking', dataset, 'counter_input', {
      partitions: 4, key: 'counter', retentionMs: DAY, schema: zodEventSchema(z.discriminatedUnion('type', [added, poison])),
    }),
    totals: declareTopic('streaming', dataset, 'counter_totals', {
      partitions: 4, key: 'counter', retentionMs: DAY, schema: zodEventSchema(z.object({ ...envelopeFields, type: z.literal('counter.total'), total: z.number() })),
    }),
  };
}

export const counterTopics = counterTopicsOf('spec');

export const counterMachine = setup({
  types: { context: {} as { total: number }, events: {} as CounterEvent, input: {} as { key: string } },
  actions: {
    add: assign(({ context, event }) => ({ total: context.total + (event.type === 'counter.added' ? event.n : 0) })),
    report: emit(({ context }) => ({ type: 'counter.total', total: context.total }) as never),
    fail: () => {
      throw new Error('poisoned');
    },
  },
}).createMachine({
  context: { total: 0 },
  on: {
    'counter.added': { actions: ['add', 'report'] },
    'counter.poison': { actions: 'fail' },
  },
});

export function counterApp(maxLiveActors?: number, dataset = 'spec'): AppDefinition {
  const topics = dataset === 'spec' ? counterTopics : counterTopicsOf(dataset);
  return {
    name: dataset,
    topics: Object.values(topics),
    entities: [{ name: 'counter', machine: counterMachine, inputs: [{ topic: topics.input }], outputs: { 'counter.total': topics.totals }, maxLiveActors }],
  };
}

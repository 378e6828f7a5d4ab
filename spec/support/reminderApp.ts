/** A minimal app with a delayed transition: a reminder fires a minute after it is set. */
import { z } from 'zod';
import { emit, setup } from 'xstate';
import { envelopeFields, zodEventSchema } from '../../src/events/EventSchema.js';
import { DAY, declareTopic } from '../../src/topics/TopicDeclaration.js';
import type { AppDefinition } from '../../src/host/AppDefinition.js';

export const REMINDER_DELAY_MS = 60_000;

const set = z.object({ ...envelopeFields, type: z.literal('reminder.set') });
const cancelled = z.object({ ...envelopeFields, type: z.literal('reminder.cancelled') });
type ReminderEvent = z.infer<typeof set> | z.infer<typeof cancelled>;

export const reminderTopics = {
  commands: declareTopic('tracking', 'spec', 'reminder_commands', {
    partitions: 3, key: 'reminder', retentionMs: DAY, schema: zodEventSchema(z.discriminatedUnion('type', [set, cancelled])),
  }),
  fired: declareTopic('streaming', 'spec', 'reminders_fired', {
    partitions: 3, key: 'reminder', retentionMs: DAY, schema: zodEventSchema(z.object({ ...envelopeFields, type: z.literal('reminder.fired') })),
  }),
};

export const reminderMachine = setup({
  types: { events: {} as ReminderEvent, input: {} as { key: string } },
  delays: { reminderDelay: REMINDER_DELAY_MS },
}).createMachine({
  initial: 'idle',
  states: {
    idle: { on: { 'reminder.set': 'waiting' } },
    waiting: {
      on: { 'reminder.cancelled': 'idle' },
      after: { reminderDelay: { target: 'fired', actions: emit({ type: 'reminder.fired' } as never) } },
    },
    fired: { on: { 'reminder.set': 'waiting' } },
  },
});

export function reminderApp(maxLiveActors?: number): AppDefinition {
  return {
    name: 'spec',
    topics: Object.values(reminderTopics),
    entities: [{ name: 'reminder', machine: reminderMachine, inputs: [{ topic: reminderTopics.commands }], outputs: { 'reminder.fired': reminderTopics.fired }, maxLiveActors }],
  };
}

/**
 * Events, not state (SPEC §1): every value is an envelope `{ id, type, key, at, ...fields }`.
 * A schema turns an untrusted JSON value into a typed event or says precisely why it cannot.
 */
import { z } from 'zod';

export interface EventEnvelope {
  readonly id: string;
  readonly type: string;
  readonly key: string;
  /** Event time, ISO-8601. */
  readonly at: string;
}

export class MalformedEvent extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MalformedEvent';
  }
}

export interface EventSchema<E> {
  /** Returns the event, or throws MalformedEvent with a reason fit for a dead-letter header. */
  parse(value: unknown): E;
}

export const envelopeFields = {
  id: z.string().min(1).max(64),
  key: z.string().min(1).max(256),
  at: z.iso.datetime({ offset: true }),
};

/** A schema for a union of events, discriminated by `type`. */
export function zodEventSchema<E>(schema: z.ZodType<E>): EventSchema<E> {
  return {
    parse(value: unknown): E {
      const result = schema.safeParse(value);
      if (result.success) return result.data;
      throw new MalformedEvent(describeIssues(result.error));
    },
  };
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Decodes a record value: JSON, then the schema. */
export function decodeEvent<E>(schema: EventSchema<E>, value: string | null): E {
  if (value === null) throw new MalformedEvent('null value (tombstone) where an event was expected');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (e) {
    throw new MalformedEvent(`value is not JSON: ${(e as Error).message}`);
  }
  return schema.parse(json);
}

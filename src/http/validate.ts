import type { z } from 'zod';
import { describeIssues } from '../events/EventSchema.js';
import { badRequest } from './HttpError.js';

/** Parses a request body or parameter with a schema; a failure is a 400 naming the fields. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what = 'body'): T {
  if (value === undefined && what === 'body') throw badRequest('a JSON body is required');
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`invalid ${what}: ${describeIssues(result.error)}`);
  return result.data;
}

/** `?limit=` as an integer in [1, max], `fallback` when absent. */
export function limitParam(query: URLSearchParams, fallback = 20, max = 100): number {
  const raw = query.get('limit');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw badRequest(`limit must be an integer from 1 to ${max}`);
  return n;
}

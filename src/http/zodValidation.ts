/**
 * Request schemas are the zod schemas themselves: a route declares `schema: { body, params,
 * querystring }` as zod, fastify validates with `zodValidatorCompiler` (its "other validation
 * libraries" hook) and the handler gets the parsed output, typed through `ZodTypeProvider`. There
 * is no second, hand-kept JSON schema. A failure is an HttpError 400 whose reason names the fields:
 * `invalid body: userId: must be …` for a body, `invalid limit: must be …` for a path or query
 * parameter.
 */
import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '../events/EventSchema.js';
import { badRequest } from './HttpError.js';

export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const named = httpPart !== 'body';
  return (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: badRequest(named ? describeNamed(result.error) : `invalid body: ${describeIssues(result.error)}`) };
  };
};

/** `invalid userId: must be …; invalid limit: …`: a parameter's issues, by the parameter's name. */
function describeNamed(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `invalid ${i.path.join('.')}: ${i.message}` : `invalid ${i.message}`))
    .join('; ');
}

/** `?limit=`: an integer in [1, max], `fallback` when absent. */
export function limitQuery(fallback = 20, max = 100) {
  const message = `must be an integer from 1 to ${max}`;
  return z.object({ limit: z.coerce.number({ error: message }).int(message).min(1, message).max(max, message).default(fallback) });
}

/**
 * A JSON HTTP client for route specs: `call(method, path, body?, rawBody?, as?)` → status and
 * parsed body. With `tokens`, each request carries a bearer token: for `as` when given (a subject,
 * a user; or `{ sub, role }`), else for whom the request names, as the specs written before tokens
 * meant it: the body's `taxiId` or a `/taxis/:id` path acts as that taxi, the body's `userId` or a
 * `/users/:id` path as that user, anything else as the user `reader`. `as: null` sends no token.
 */
import type { Principal } from '../../src/http/auth/index.js';
import type { Tokens } from './auth.js';

export interface JsonReply {
  readonly status: number;
  // Specs assert on arbitrary response shapes.
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Caller = string | Principal | null;

export function jsonClient(base: () => string, tokens?: Tokens | (() => Tokens)) {
  return async (method: string, path: string, body?: unknown, raw?: string, as?: Caller): Promise<JsonReply> => {
    const source = typeof tokens === 'function' ? tokens() : tokens;
    const who = as === undefined ? namedBy(path, body) : typeof as === 'string' ? { sub: as, role: 'user' as const } : as;
    const auth = source && who ? await source.header(who.sub, who.role) : {};
    const res = await fetch(base() + path, {
      method,
      headers: { 'content-type': 'application/json', ...auth },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Who a request names: see the header comment. */
export function namedBy(path: string, body: unknown): Principal {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof fields.taxiId === 'string') return { sub: fields.taxiId, role: 'taxi' };
  const taxi = /\/taxis\/([^/?]+)/.exec(path);
  if (taxi) return { sub: decodeURIComponent(taxi[1]), role: 'taxi' };
  if (typeof fields.userId === 'string') return { sub: fields.userId, role: 'user' };
  const user = /\/users\/([^/?]+)/.exec(path) ?? /\/likes\/([^/?]+)/.exec(path);
  if (user) return { sub: decodeURIComponent(user[1]), role: 'user' };
  return { sub: 'reader', role: 'user' };
}

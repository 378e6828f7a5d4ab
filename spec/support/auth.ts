/**
 * Tokens for specs: a deterministic HS256 key ring for apps built in the spec, or the key ring a
 * `kastor run` child made under its data directory; `Tokens` issues and caches bearer headers.
 */
import { type KeyRing, KeyRing as Ring, type Principal, type Role, loadKeyRing } from '../../src/http/auth/index.js';
import type { AuthOptions } from '../../src/http/auth/installAuth.js';

/** The same key in every spec: `kid` `spec`. */
export function specKeys(kid = 'spec', fill = 7): Promise<KeyRing> {
  return Ring.of([{ alg: 'HS256', kid, secret: new Uint8Array(32).fill(fill) }]);
}

export class Tokens {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(readonly keys: KeyRing, private readonly now: () => number = Date.now) {}

  static async spec(): Promise<Tokens> {
    return new Tokens(await specKeys());
  }

  /** The tokens a `kastor run --data dataDir` accepts (its embedded key; made now when missing). */
  static async ofDataDir(dataDir: string): Promise<Tokens> {
    return new Tokens(await loadKeyRing({ dataDir }));
  }

  token(sub: string, role: Role = 'user'): Promise<string> {
    const id = `${role}:${sub}`;
    let t = this.cache.get(id);
    if (!t) this.cache.set(id, (t = this.keys.issue({ sub, role } satisfies Principal, { now: this.now(), ttlMs: 3_600_000 })));
    return t;
  }

  async header(sub: string, role: Role = 'user'): Promise<{ authorization: string }> {
    return { authorization: `Bearer ${await this.token(sub, role)}` };
  }

  /** createHttpApp's `auth` option with these keys and no write limit to trip over. */
  get auth(): AuthOptions {
    return { keys: this.keys, rateLimits: NO_LIMITS };
  }
}

export const NO_LIMITS = { user: 'off', taxi: 'off', service: 'off', admin: 'off' } as const;

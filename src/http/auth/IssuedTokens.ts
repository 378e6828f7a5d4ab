/**
 * Tokens a process issues to callers it acts for (the simulation's clients, the demo traffic): one
 * per principal, issued on the injected clock and issued again once half its life is gone, so that
 * a long run never sends an expired one and a caller's repeated token hits the key ring's cache.
 */
import type { Clock } from '../../clock/Clock.js';
import type { KeyRing } from './KeyRing.js';
import type { Principal } from './Principal.js';

export class IssuedTokens {
  private readonly held = new Map<string, { readonly token: Promise<string>; readonly renewAt: number }>();

  constructor(private readonly keys: KeyRing, private readonly clock: Clock, private readonly ttlMs = 3_600_000) {}

  /** The `authorization` header's value for `who`. */
  async bearer(who: Principal): Promise<string> {
    const id = `${who.role}:${who.sub}`;
    const now = this.clock.now();
    let entry = this.held.get(id);
    if (!entry || now >= entry.renewAt) {
      entry = { token: this.keys.issue(who, { now, ttlMs: this.ttlMs }), renewAt: now + this.ttlMs / 2 };
      this.held.set(id, entry);
    }
    return `Bearer ${await entry.token}`;
  }
}

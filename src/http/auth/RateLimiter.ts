/**
 * Per-subject token buckets for the write routes: each subject of a role has a bucket of `burst`
 * tokens refilled at `perSecond`; a write takes one, and with none left it is refused with 429 and
 * `Retry-After` (whole seconds until a token is back). Time is the injected clock's, so the
 * simulation's virtual time limits its callers as wall time limits real ones.
 *
 * @fastify/rate-limit was the candidate library; it is not used because it counts requests in fixed
 * windows (a client may send twice the limit across a window's edge: not a token bucket), reads the
 * wall clock, and takes one limit per route where this needs one per role.
 *
 * A bucket that has refilled to full is the same as no bucket, so full ones are dropped when the
 * map grows: memory follows the subjects active in the last `burst / perSecond` seconds.
 */
import type { Clock } from '../../clock/Clock.js';
import { HttpError } from '../HttpError.js';
import type { Principal, Role } from './Principal.js';

export interface BucketSettings {
  readonly perSecond: number;
  readonly burst: number;
}

/** Per role: its bucket, or `off` for no limit. */
export type RateLimits = Readonly<Record<Role, BucketSettings | 'off'>>;

/**
 * A user, a taxi or an admin writes at human or device pace; a service writes for all its users at
 * once and is limited where it runs (and by the broker's quotas), not per subject here.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  user: { perSecond: 20, burst: 40 },
  taxi: { perSecond: 20, burst: 40 },
  admin: { perSecond: 20, burst: 40 },
  service: 'off',
};

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private pruneAt = 10_000;

  constructor(private readonly limits: RateLimits, private readonly clock: Clock) {}

  /** Takes a token of the principal's bucket, or throws the 429 to answer. */
  take(principal: Principal): void {
    const settings = this.limits[principal.role];
    if (settings === 'off') return;
    const now = this.clock.now();
    const id = `${principal.role}:${principal.sub}`;
    const bucket = this.buckets.get(id) ?? { tokens: settings.burst, at: now };
    bucket.tokens = Math.min(settings.burst, bucket.tokens + ((now - bucket.at) / 1_000) * settings.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(id, bucket);
      const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / settings.perSecond));
      throw new HttpError(429, `too many writes by ${principal.role} ${principal.sub}: at most ${settings.perSecond} a second (bursts of ${settings.burst}); retry in ${seconds} s`,
        { 'retry-after': String(seconds) });
    }
    bucket.tokens -= 1;
    this.buckets.set(id, bucket);
    if (this.buckets.size >= this.pruneAt) this.prune(now);
  }

  private prune(now: number): void {
    for (const [id, bucket] of this.buckets) {
      const settings = this.limits[id.slice(0, id.indexOf(':')) as Role];
      if (settings === 'off' || bucket.tokens + ((now - bucket.at) / 1_000) * settings.perSecond >= settings.burst) this.buckets.delete(id);
    }
    this.pruneAt = Math.max(10_000, this.buckets.size * 2);
  }
}

/** `user=20/40,taxi=20/40,service=off`: per role, writes a second / burst, or off; roles not named keep the default. */
export function parseRateLimits(spec: string, defaults: RateLimits = DEFAULT_RATE_LIMITS): RateLimits {
  const limits: Record<string, BucketSettings | 'off'> = { ...defaults };
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\w+)=(?:(off)|(\d+(?:\.\d+)?)\/(\d+))$/.exec(part);
    if (!m || !(m[1] in defaults)) {
      throw new Error(`expected role=perSecond/burst or role=off for the roles ${Object.keys(defaults).join(', ')}, not '${part}'`);
    }
    if (m[2]) limits[m[1]] = 'off';
    else {
      const perSecond = Number(m[3]);
      const burst = Number(m[4]);
      if (perSecond <= 0 || burst < 1) throw new Error(`'${part}': the rate must be > 0 and the burst >= 1`);
      limits[m[1]] = { perSecond, burst };
    }
  }
  return limits as RateLimits;
}

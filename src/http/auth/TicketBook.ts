/**
 * Short-lived, single-use tickets that stand for a bearer token on one path. A browser's
 * EventSource cannot set an `authorization` header, so the page POSTs (with its token) for a
 * ticket and opens the stream with `?ticket=`. A query string ends up in proxies' and browsers'
 * histories, hence: the ticket is good for one request, on the one path it was issued for, within
 * `ttlMs` (30 s by default), and it is 256 random bits, not the token.
 */
import { randomBytes } from 'node:crypto';
import { base64url } from 'jose';
import type { Clock } from '../../clock/Clock.js';
import type { Principal } from './Principal.js';

interface Ticket {
  readonly principal: Principal;
  readonly path: string;
  readonly expiresAt: number;
}

export interface TicketBookOptions {
  readonly clock: Clock;
  readonly ttlMs?: number;
  /** A new unguessable ticket; crypto random bytes by default. */
  readonly secret?: () => string;
  /** Most tickets outstanding at once; the oldest go first beyond it. */
  readonly capacity?: number;
}

export class TicketBook {
  private readonly tickets = new Map<string, Ticket>();
  private readonly ttlMs: number;
  private readonly capacity: number;
  private readonly secret: () => string;

  constructor(private readonly options: TicketBookOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.capacity = options.capacity ?? 100_000;
    this.secret = options.secret ?? (() => base64url.encode(randomBytes(32)));
  }

  issue(principal: Principal, path: string): { ticket: string; expiresAt: string } {
    const now = this.options.clock.now();
    this.prune(now);
    const ticket = this.secret();
    const expiresAt = now + this.ttlMs;
    this.tickets.set(ticket, { principal, path, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The principal the ticket stands for on `path`, once; undefined for an unknown, used, expired or other-path ticket. */
  redeem(ticket: string, path: string): Principal | undefined {
    const found = this.tickets.get(ticket);
    if (!found) return undefined;
    this.tickets.delete(ticket);
    if (found.path !== path || found.expiresAt <= this.options.clock.now()) return undefined;
    return found.principal;
  }

  get outstanding(): number {
    return this.tickets.size;
  }

  private prune(now: number): void {
    // Insertion order is expiry order (one ttl for all): drop from the front.
    for (const [ticket, t] of this.tickets) {
      if (t.expiresAt > now && this.tickets.size < this.capacity) break;
      this.tickets.delete(ticket);
    }
  }
}

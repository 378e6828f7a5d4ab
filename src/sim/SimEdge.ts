/**
 * The HTTP edge of a simulated process: the applications' own routes on the process's fastify app
 * (src/http/createHttpApp.ts), called in process with `inject` — no socket, the same routing,
 * authentication, validation, handlers and error answers as over HTTP. A request names who makes
 * it (`as`); the edge sends that caller's bearer token, signed with the run's seeded key and
 * stamped by the virtual clock, so tokens are the same in every run of a seed. Each request states
 * the status its generator expects; a refused request (4xx) must also produce nothing. What came
 * back otherwise is reported as a broken invariant, with the first few mismatches.
 */
import type { Clock } from '../clock/Clock.js';
import { IssuedTokens, type KeyRing, type Principal } from '../http/auth/index.js';
import { silentLogger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import { type HttpApp, createHttpApp } from '../http/createHttpApp.js';
import type { EdgeProducer } from './EdgeProducer.js';
import type { Invariant } from './Invariant.js';

/** A request a simulated client makes, and what it expects back. */
export interface SimRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  /** JSON-encoded unless a string (a string is sent as is: malformed JSON is a string). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Who calls: their token goes in the authorization header. None: no token at all. */
  readonly as?: Principal;
  /** The status the generator expects: 2xx for a valid request, the 4xx the edge must answer. */
  readonly expect: number;
  /** Told the answer, when it is the expected one (a 202's ids, a read's body). */
  readonly then?: (response: SimResponse) => void;
}

export interface SimResponse {
  readonly status: number;
  /** The JSON body, or undefined when there is none. */
  readonly body: any;
}

export function isSimRequest(call: object): call is SimRequest {
  return 'method' in call;
}

/** The callers of the edge, for generators: `as: caller.user('user_3')`. */
export const caller = {
  user: (sub: string): Principal => ({ sub, role: 'user' }),
  taxi: (sub: string): Principal => ({ sub, role: 'taxi' }),
  service: (sub: string): Principal => ({ sub, role: 'service' }),
  admin: (sub: string): Principal => ({ sub, role: 'admin' }),
};

export interface SimEdgeAuth {
  /** The run's keys: tokens are signed and verified with them. */
  readonly keys: KeyRing;
  readonly clock: Clock;
  /** Seeded, for the event-stream tickets. */
  readonly ticketSecret: () => string;
}

export class SimEdge {
  private readonly http: HttpApp;
  private readonly byStatus = new Map<number, number>();
  private readonly wrong: string[] = [];
  private mismatches = 0;
  private readonly tokens: IssuedTokens;

  constructor(
    routes: readonly ((app: HttpApp) => void)[],
    private readonly producer: EdgeProducer,
    auth: SimEdgeAuth,
    metrics?: Metrics,
  ) {
    this.http = createHttpApp({ log: silentLogger, metrics, auth });
    this.tokens = new IssuedTokens(auth.keys, auth.clock);
    for (const register of routes) register(this.http);
  }

  async ready(): Promise<void> {
    await this.http.ready();
  }

  async call(request: SimRequest): Promise<void> {
    const before = this.producer.sent;
    const payload = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    const authorization = request.as ? await this.tokens.bearer(request.as) : undefined;
    const res = await withWatchdog(request, this.http.inject({
      method: request.method,
      url: request.url,
      payload,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...(authorization ? { authorization } : {}),
        ...request.headers,
      },
    }));
    const produced = this.producer.sent - before;
    this.byStatus.set(res.statusCode, (this.byStatus.get(res.statusCode) ?? 0) + 1);
    const refused = res.statusCode >= 400;
    if (res.statusCode !== request.expect || (refused && produced > 0)) {
      this.mismatches++;
      if (this.wrong.length < 3) {
        this.wrong.push(`${request.method} ${request.url}: ${res.statusCode} (expected ${request.expect})${refused && produced ? `, produced ${produced}` : ''} ${res.body.slice(0, 120)}`);
      }
      return;
    }
    request.then?.({ status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined });
  }

  invariant(): Invariant {
    const counts = [...this.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    return {
      name: 'edge: every request answered as its generator expected, and each refused one produced nothing',
      held: this.mismatches === 0,
      detail: this.mismatches ? `${this.mismatches} wrong: ${this.wrong.join('; ')}` : counts || 'no requests',
    };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

const WATCHDOG_MS = 30_000;

/**
 * The clock does not move while a request is served (time moves between ticks), so a handler that
 * waits on it — a route waiting for the read model to show a post — would wait for ever: fail
 * loudly instead. A generator calls only what its client could see. The watchdog is the one wall
 * clock here; it never fires in a run that works, so it changes nothing of one.
 */
async function withWatchdog<T>(request: SimRequest, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(
      `simulated request ${request.method} ${request.url} got no answer in ${WATCHDOG_MS / 1000} s: its handler waits on the virtual clock, which stands still while a request is served`,
    )), WATCHDOG_MS);
  });
  try {
    return await Promise.race([work, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

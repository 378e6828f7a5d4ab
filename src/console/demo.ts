/**
 * `kastor run --demo`: seeded traffic through the process's own routes, so that a newcomer sees
 * every application's view move within a minute of starting. Each hosted application with a demo
 * (its console view's, src/console/views/<app>.ts) takes a step four times a second; a step is a
 * request or two over fastify's in-process `inject`, with a bearer token the process's own key ring
 * issued to the user, taxi or service the request is for — the same auth, validation, rate limits
 * and producer as a request from outside.
 */
import type { Clock, TimerHandle } from '../clock/Clock.js';
import { IssuedTokens, type KeyRing } from '../http/auth/index.js';
import type { HttpApp } from '../http/createHttpApp.js';
import { seededRandom } from '../ids/IdSource.js';
import type { Logger } from '../log/Logger.js';
import { CONSOLE_VIEWS } from './views/index.js';
import type { DemoContext } from './views/ConsoleView.js';

export interface DemoOptions {
  readonly http: HttpApp;
  readonly keys: KeyRing;
  readonly clock: Clock;
  readonly log: Logger;
  /** The applications the process hosts. */
  readonly apps: readonly string[];
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Between two rounds of steps (default 250 ms). */
  readonly intervalMs?: number;
  readonly seed?: number;
}

/**
 * The demo traffic as a switch (`--demo` turns it on at start; the console's button turns it on
 * and off): at most one run at a time.
 */
export class DemoSwitch {
  private stop?: () => Promise<void>;

  constructor(private readonly start: () => () => Promise<void>) {}

  get on(): boolean {
    return this.stop !== undefined;
  }

  async set(on: boolean): Promise<void> {
    if (on && !this.stop) this.stop = this.start();
    else if (!on && this.stop) {
      const stop = this.stop;
      this.stop = undefined;
      await stop();
    }
  }
}

/** Starts the demo traffic; returns its stop. */
export function startDemo(options: DemoOptions): () => Promise<void> {
  const log = options.log.child({ component: 'demo' });
  const random = seededRandom(options.seed ?? 1);
  const tokens = new IssuedTokens(options.keys, options.clock);
  const refusals = new Map<string, number>();
  const context: DemoContext = {
    random,
    now: () => options.clock.now(),
    dataDir: options.dataDir,
    env: options.env,
    call: async (method, url, body, as) => {
      const res = await options.http.inject({
        method, url,
        headers: { authorization: await tokens.bearer(as), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      const answer = res.body ? JSON.parse(res.body) : undefined;
      if (res.statusCode >= 400) {
        // Said once per route and status: a demo that is refused should not flood the log.
        const what = `${method} ${url.replace(/\/[A-Za-z0-9_-]{12,}/g, '/…')} ${res.statusCode}`;
        const n = (refusals.get(what) ?? 0) + 1;
        refusals.set(what, n);
        if (n === 1) log.warn('demo request refused', { request: what, reason: answer?.error });
      }
      return { status: res.statusCode, body: answer };
    },
  };
  const steps = CONSOLE_VIEWS.filter((v) => v.demo && options.apps.includes(v.app)).map((v) => ({ app: v.app, step: v.demo!() }));
  log.info('demo traffic on', { apps: steps.map((s) => s.app), intervalMs: options.intervalMs ?? 250 });
  let round: Promise<void> | undefined;
  let stopped = false;
  let timer: TimerHandle | undefined;
  // On the injected clock, as every timer of the process; the next round waits for this one.
  const schedule = () => {
    timer = options.clock.setTimeout(() => {
      round = (async () => {
        for (const { app, step } of steps) {
          try {
            await step(context);
          } catch (error) {
            log.warn('demo step failed', { app, error });
          }
        }
      })().finally(() => {
        round = undefined;
        if (!stopped) schedule();
      });
    }, options.intervalMs ?? 250);
  };
  schedule();
  return async () => {
    stopped = true;
    if (timer !== undefined) options.clock.clearTimeout(timer);
    await round;
  };
}

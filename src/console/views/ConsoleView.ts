/**
 * One application's view in the console: what its tab shows, read from the application's read
 * model (its port) and never from the write path. Each application with a view has one file here,
 * listed in index.ts; the console serves it at `GET /console/api/apps/<app>/view` (admin only).
 */
import type { z } from 'zod';
import type { Clock } from '../../clock/Clock.js';
import type { Principal } from '../../http/auth/Principal.js';

/** What a demo step may do (src/console/demo.ts): call the process's routes as someone, at random. */
export interface DemoContext {
  call(method: 'GET' | 'POST' | 'DELETE', url: string, body: unknown, as: Principal): Promise<{ status: number; body: any }>;
  /** Seeded: the same traffic each run. */
  random(): number;
  now(): number;
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One step of an application's demo traffic: a request or two. The factory's closure keeps its state. */
export type DemoStep = (ctx: DemoContext) => Promise<void>;

export interface ViewSpec<R extends object, Q extends z.ZodType> {
  /** The application, as the runtime names it (`social`). */
  readonly app: string;
  /** The tab's title. */
  readonly title: string;
  /** The read model's methods the view calls: checked once when the console starts. */
  readonly reads: ReadonlyArray<keyof R & string>;
  /** The query string the route accepts. */
  readonly query: Q;
  read(readModel: R, query: z.infer<Q>, clock: Clock): unknown;
  /** `kastor run --demo`: a fresh demo of the application's traffic. */
  readonly demo?: () => DemoStep;
}

/** A view, ready to be bound to the read model a process hosts. */
export interface ConsoleView {
  readonly app: string;
  readonly title: string;
  readonly demo?: () => DemoStep;
  bind(readModel: object): BoundView;
}

/** A view bound to its application's read model. */
export interface BoundView {
  readonly app: string;
  readonly title: string;
  readonly query: z.ZodType;
  read(query: unknown, clock: Clock): unknown;
}

/**
 * `consoleView<SocialReadModel>()({ ... })`. The read model reaches the console as `object`
 * (HostedApp knows no application); `reads` names the methods the view calls, so binding it to a
 * read model that lacks one fails when the console starts, not with a 500 later.
 */
export const consoleView = <R extends object>() => <Q extends z.ZodType>(spec: ViewSpec<R, Q>): ConsoleView => ({
  app: spec.app,
  title: spec.title,
  demo: spec.demo,
  bind: (readModel) => {
    const missing = spec.reads.filter((m) => typeof (readModel as Record<string, unknown>)[m] !== 'function');
    if (missing.length > 0) throw new Error(`the ${spec.app} read model lacks ${missing.join(', ')}: the console's ${spec.app} view needs them`);
    const model = readModel as R;
    return { app: spec.app, title: spec.title, query: spec.query, read: (query, clock) => spec.read(model, query as z.infer<Q>, clock) };
  },
});

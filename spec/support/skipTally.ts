/**
 * Skips the current suite (from a `before` hook) or test (from its body) for want of a service, and
 * records how many specs that took and why. `npm test` (scripts/test.mjs) sets KASTOR_SKIP_TALLY to
 * a file and prints the tally after mocha's summary, so a run without a broker says plainly what it
 * did not run: "skipped 52 specs: 41 Kafka (no broker at …: npm run kafka:start), …".
 */
import { appendFileSync } from 'node:fs';
import type { Context, Runnable, Suite } from 'mocha';

export interface SkipLine {
  /** What is missing, as the tally names it: 'Kafka', 'PostgreSQL CDC', 'broker-stopping'. */
  readonly kind: string;
  /** Why, with what to do about it. */
  readonly why: string;
  readonly count: number;
}

/** How many tests a skip from this context leaves unrun: the suite's when called in a hook. */
function countOf(ctx: Context): number {
  const runnable = ctx.test as (Runnable & { type?: string }) | undefined;
  if (!runnable) return 1;
  if (runnable.type === 'hook') return (runnable.parent as Suite | undefined)?.total() ?? 1;
  return 1;
}

export function skipFor(ctx: Context, kind: string, why: string): never {
  console.log(`      (skipped: ${why})`);
  const file = process.env.KASTOR_SKIP_TALLY;
  if (file) appendFileSync(file, JSON.stringify({ kind, why, count: countOf(ctx) } satisfies SkipLine) + '\n');
  ctx.skip();
}

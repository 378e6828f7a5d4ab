/** Helpers for seeded traffic generators. */

export interface SimSizes {
  /** Distinct users (viewers, riders, posters, account holders). */
  readonly users: number;
  /** Records per simulated second, per application. */
  readonly rate: number;
}

/** How many records fall in a tick at `rate` per second (the fraction drawn from the seed). */
export function perTick(rate: number, tickMs: number, random: () => number): number {
  const exact = (rate * tickMs) / 1000;
  const whole = Math.floor(exact);
  return whole + (random() < exact - whole ? 1 : 0);
}

/** An index in [0, n) skewed towards 0, as popularity is (a cheap Zipf-like draw). */
export function skewed(n: number, random: () => number, power = 3): number {
  return Math.min(n - 1, Math.floor(Math.pow(random(), power) * n));
}

export function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)];
}

/** Event times spread evenly over the tick that ends at `until`. */
export function timesIn(until: number, tickMs: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => new Date(until - tickMs + Math.floor(((i + 1) * tickMs) / (n + 1))).toISOString());
}

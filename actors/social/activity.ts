/**
 * Engagement per minute over a sliding hour, by event time: the basis of trending. Kept as a short
 * sorted list of [epochMinute, count] so that it snapshots small.
 */
export type Activity = ReadonlyArray<readonly [number, number]>;

export const WINDOW_MINUTES = 60;

export const minuteOf = (at: string): number => Math.floor(Date.parse(at) / 60_000);

/** Adds `n` at `at` and drops minutes that left the hour ending at `at`. */
export function recordActivity(activity: Activity, at: string, n = 1): Activity {
  const minute = minuteOf(at);
  const kept = activity.filter(([m]) => m > minute - WINDOW_MINUTES);
  const i = kept.findIndex(([m]) => m === minute);
  if (i >= 0) return kept.map(([m, c]) => (m === minute ? [m, c + n] as const : [m, c] as const));
  return [...kept, [minute, n] as const].sort((a, b) => a[0] - b[0]);
}

/** Engagement within the hour ending at minute `now` (inclusive). */
export function scoreAt(activity: Activity, now: number): number {
  let score = 0;
  for (const [m, c] of activity) if (m > now - WINDOW_MINUTES && m <= now) score += c;
  return score;
}

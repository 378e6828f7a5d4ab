/**
 * A batch job over the file sink (the slow layer): per-show popularity from MovieFlix's
 * `show_position` files — how many distinct users watched a show, and how many episodes were
 * finished (a user's position reached 95 % of the episode's duration; each user and episode counts
 * once however many positions were reported past that point). Its output can feed the
 * recommendation engine's history (SPEC §3, MovieFlix).
 *
 * Reads only the fields `userId, showId, episodeId, positionSec, durationSec` of the events, so it
 * does not depend on the exact event type name; records without them are counted as skipped.
 * Distinct viewers are exact (a set per show): fine up to millions of viewers per run; past that,
 * a HyperLogLog sketch would replace the sets.
 */
import { z } from 'zod';
import { type DayRange, readSinkFiles } from './readSinkFiles.js';

export const SHOW_POSITION_TOPIC = 'tracking.movieflix.show_position';
export const FINISHED_RATIO = 0.95;

const position = z.object({
  userId: z.string().min(1),
  showId: z.string().min(1),
  episodeId: z.string().min(1),
  positionSec: z.number().nonnegative(),
  durationSec: z.number().positive(),
});

export interface ShowPopularity {
  readonly showId: string;
  /** Distinct users with at least one position in the show. */
  readonly viewers: number;
  /** Distinct (user, episode) pairs that reached 95 % of the episode. */
  readonly finishes: number;
  /** Position events read for the show. */
  readonly positions: number;
}

export interface ShowPopularityResult {
  /** Most viewers first, then most finishes, then show id. */
  readonly shows: ShowPopularity[];
  readonly records: number;
  /** Records that were not show positions. */
  readonly skipped: number;
}

export interface ShowPopularityOptions extends DayRange {
  readonly topic?: string;
}

interface Tally {
  readonly viewers: Set<string>;
  readonly finished: Set<string>;
  positions: number;
}

export async function showPopularity(root: string, options: ShowPopularityOptions = {}): Promise<ShowPopularityResult> {
  const tallies = new Map<string, Tally>();
  let records = 0;
  let skipped = 0;
  for await (const record of readSinkFiles(root, options.topic ?? SHOW_POSITION_TOPIC, options)) {
    records++;
    const parsed = position.safeParse(record.value);
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const p = parsed.data;
    let tally = tallies.get(p.showId);
    if (!tally) tallies.set(p.showId, (tally = { viewers: new Set(), finished: new Set(), positions: 0 }));
    tally.positions++;
    tally.viewers.add(p.userId);
    // JSON of the pair: ids may contain any character, a separator could collide.
    if (p.positionSec >= FINISHED_RATIO * p.durationSec) tally.finished.add(JSON.stringify([p.userId, p.episodeId]));
  }
  const shows = [...tallies].map(([showId, t]) => ({ showId, viewers: t.viewers.size, finishes: t.finished.size, positions: t.positions }))
    .sort((a, b) => b.viewers - a.viewers || b.finishes - a.finishes || (a.showId < b.showId ? -1 : a.showId > b.showId ? 1 : 0));
  return { shows, records, skipped };
}

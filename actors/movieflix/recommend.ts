/**
 * The recommendation engine: a pure function of what the user has seen (and how it went), the
 * catalog, and per-show popularity computed in batch from the analytics store.
 *
 *   affinity(genre) = Σ over seen shows having the genre of SIGNAL[status] / √(genres of that show)
 *   match(show)     = Σ affinity over the show's genres / √(genres of the show)
 *   score(show)     = match + POPULARITY_WEIGHT × popularity (0..1)
 * (match is the cosine of the two genre vectors scaled by the signal: a show with exactly the genres
 * of a liked one matches 3, one sharing two of three genres about 2.4.)
 * Shows the user has started are never recommended; shows scoring 0 or less are left out; ties go
 * to the show id. The reason names the liked or watched show that shares the most genres, or says
 * the show is popular. See docs/movieflix.md.
 */
import type { Catalog, Show } from './catalog.js';
import type { RecommendationItem, ShowStatus } from './events.js';

export interface PopularityScore {
  /** Distinct users who reported a position on the show. */
  readonly viewers: number;
  /** Season finales watched to the end, one per user and season. */
  readonly finishes: number;
  /** Normalised to 0..1 over the catalog (1: the most popular show). */
  readonly score: number;
}

export type PopularityScores = Readonly<Record<string, PopularityScore>>;

export interface SeenShow {
  readonly showId: string;
  readonly status: ShowStatus;
  readonly activeAt: string;
}

export const SIGNAL: Readonly<Record<ShowStatus, number>> = { liked: 3, watching: 1, abandoned: -1, disliked: -3 };
export const POPULARITY_WEIGHT = 1;

export function recommend(
  seen: readonly SeenShow[],
  catalog: Catalog,
  popularity: PopularityScores,
  limit: number,
): RecommendationItem[] {
  const affinity = new Map<string, number>();
  const seenIds = new Set<string>();
  for (const s of seen) {
    seenIds.add(s.showId);
    const show = catalog.show(s.showId);
    if (!show) continue;
    const w = SIGNAL[s.status] / Math.sqrt(show.genres.length);
    for (const g of show.genres) affinity.set(g, (affinity.get(g) ?? 0) + w);
  }
  const items: RecommendationItem[] = [];
  for (const show of catalog.shows) {
    if (seenIds.has(show.id)) continue;
    const match = show.genres.reduce((sum, g) => sum + (affinity.get(g) ?? 0), 0) / Math.sqrt(show.genres.length);
    const pop = popularity[show.id];
    const score = round(match + POPULARITY_WEIGHT * (pop?.score ?? 0));
    if (score <= 0) continue;
    items.push({ showId: show.id, score, reason: reason(show, match, seen, catalog, pop) });
  }
  items.sort((a, b) => b.score - a.score || (a.showId < b.showId ? -1 : 1));
  return items.slice(0, limit);
}

export function sameItems(a: readonly RecommendationItem[], b: readonly RecommendationItem[]): boolean {
  return a.length === b.length &&
    a.every((x, i) => x.showId === b[i].showId && x.score === b[i].score && x.reason === b[i].reason);
}

function reason(show: Show, match: number, seen: readonly SeenShow[], catalog: Catalog, pop?: PopularityScore): string {
  if (match > 0) {
    let best: { s: SeenShow; shared: number } | undefined;
    for (const s of seen) {
      if (SIGNAL[s.status] <= 0) continue;
      const shared = catalog.show(s.showId)?.genres.filter((g) => show.genres.includes(g)).length ?? 0;
      if (shared === 0) continue;
      if (!best || shared > best.shared || (shared === best.shared && better(s, best.s))) best = { s, shared };
    }
    if (best) {
      const title = catalog.title(best.s.showId);
      return best.s.status === 'liked' ? `because you liked ${title}` : `because you are watching ${title}`;
    }
  }
  if (pop && pop.viewers > 0) return `popular: ${pop.viewers} viewers, ${pop.finishes} season finishes`;
  return 'popular on MovieFlix';
}

/** The stronger signal, then the more recent, then the smaller id. */
function better(a: SeenShow, b: SeenShow): boolean {
  if (SIGNAL[a.status] !== SIGNAL[b.status]) return SIGNAL[a.status] > SIGNAL[b.status];
  if (a.activeAt !== b.activeAt) return Date.parse(a.activeAt) > Date.parse(b.activeAt);
  return a.showId < b.showId;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * One user's progress through one show, as the viewer actor keeps it: where to resume, how far each
 * episode was watched, which seasons were finished, and the show's standing in the profile.
 *
 *   liked      a season was watched to its end (its finale reached `completeRatio` of its length)
 *   watching   in progress, and reported on within the last `dislikeAfterMs`
 *   disliked   dropped after a few minutes (at most `dropWithinSec` seen) and not resumed in time
 *   abandoned  dropped later than that and not resumed in time
 * Liked is for good; a disliked or abandoned show that is resumed is `watching` again.
 */
import type { EpisodeRef } from './catalog.js';
import { EPISODE_ID, type PositionRecorded, type ShowStatus } from './events.js';

export interface ShowProgress {
  readonly showId: string;
  readonly status: ShowStatus;
  /** Furthest position reached per episode id, seconds. */
  readonly furthest: Readonly<Record<string, number>>;
  /** Episodes watched to their end, in episode order. */
  readonly completed: readonly string[];
  readonly seasonsFinished: readonly number[];
  /** The latest report by event time: where the user resumes. */
  readonly resume: { readonly episodeId: string; readonly positionSec: number; readonly at: string };
  /** Latest event time of any report on the show (ISO). */
  readonly activeAt: string;
}

export interface ProgressRules {
  /** An episode counts as watched once this fraction of it was reached (credits roll). */
  readonly completeRatio: number;
  /** Seen for at most this long, then dropped: disliked (more: abandoned). */
  readonly dropWithinSec: number;
}

/** What the profile shows of a show, and what a `movieflix.profile_changed` carries. */
export interface Standing {
  readonly status: ShowStatus;
  readonly episodesCompleted: number;
  readonly seasonsFinished: number[];
  readonly furthestEpisodeId: string;
  readonly watchedSec: number;
  readonly lastActiveAt: string;
}

export function recordPosition(
  prev: ShowProgress | undefined,
  event: PositionRecorded,
  episode: EpisodeRef,
  rules: ProgressRules,
): ShowProgress {
  const id = event.episodeId;
  const at = new Date(Date.parse(event.at)).toISOString();
  const furthest = { ...prev?.furthest, [id]: Math.max(prev?.furthest[id] ?? 0, event.positionSec) };
  const done = event.positionSec >= rules.completeRatio * event.durationSec;
  const completed = prev?.completed ?? [];
  const finished = prev?.seasonsFinished ?? [];
  const seasonsFinished = done && episode.seasonFinale && !finished.includes(episode.season)
    ? [...finished, episode.season].sort((a, b) => a - b)
    : [...finished];
  const latest = !prev || Date.parse(at) >= Date.parse(prev.resume.at);
  return {
    showId: event.showId,
    status: seasonsFinished.length > 0 ? 'liked' : 'watching',
    furthest,
    completed: done && !completed.includes(id) ? [...completed, id].sort(compareEpisodes) : [...completed],
    seasonsFinished,
    resume: latest ? { episodeId: id, positionSec: event.positionSec, at } : prev.resume,
    activeAt: prev && Date.parse(prev.activeAt) > Date.parse(at) ? prev.activeAt : at,
  };
}

/** A show in progress that nobody resumed in time: disliked if dropped early, else abandoned. */
export function judged(progress: ShowProgress, rules: ProgressRules): ShowProgress {
  if (progress.status !== 'watching') return progress;
  return { ...progress, status: watchedSec(progress) <= rules.dropWithinSec ? 'disliked' : 'abandoned' };
}

/** Only a show being watched can still turn out disliked or abandoned. */
export const awaitsJudgement = (progress: ShowProgress): boolean => progress.status === 'watching';

export function watchedSec(progress: ShowProgress): number {
  let total = 0;
  for (const sec of Object.values(progress.furthest)) total += sec;
  return total;
}

export function standing(progress: ShowProgress): Standing {
  const ids = Object.keys(progress.furthest).sort(compareEpisodes);
  return {
    status: progress.status,
    episodesCompleted: progress.completed.length,
    seasonsFinished: [...progress.seasonsFinished],
    furthestEpisodeId: ids[ids.length - 1],
    watchedSec: Math.round(watchedSec(progress)),
    lastActiveAt: progress.activeAt,
  };
}

/**
 * Whether the profile changed: status, episodes completed, furthest episode. Seconds watched and
 * activity time move with every report; they ride along but do not by themselves make a change.
 */
export function sameStanding(a: Standing | undefined, b: Standing): boolean {
  return !!a && a.status === b.status && a.episodesCompleted === b.episodesCompleted &&
    a.furthestEpisodeId === b.furthestEpisodeId && a.seasonsFinished.length === b.seasonsFinished.length;
}

export function compareEpisodes(a: string, b: string): number {
  const [sa, ea] = parts(a);
  const [sb, eb] = parts(b);
  return sa - sb || ea - eb;
}

function parts(episodeId: string): [number, number] {
  const m = EPISODE_ID.exec(episodeId);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

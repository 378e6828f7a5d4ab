/**
 * The read side of MovieFlix (CQRS): what the resuming, profile and recommendation services read.
 * The projection fills it from `show_position` (resume points), `user_profiles` and
 * `recommendations`; `adapters/sqlite/SqliteMovieflixReadModel.ts` keeps it in SQLite tables, next
 * to the per-show popularity that the batch job (PopularityJob.ts) computes from the analytics store.
 */
import type { RecommendationItem, ShowStatus } from '../../../actors/movieflix/events.js';
import type { PopularityScores } from '../../../actors/movieflix/recommend.js';
import type { Projection } from '../../host/ProjectionStage.js';

export interface ResumePoint {
  readonly showId: string;
  readonly episodeId: string;
  readonly positionSec: number;
  readonly at: string;
}

export interface ProfileShow {
  readonly showId: string;
  readonly status: ShowStatus;
  readonly episodesCompleted: number;
  readonly episodesTotal: number;
  readonly seasonsFinished: readonly number[];
  readonly furthestEpisodeId: string;
  readonly watchedSec: number;
  readonly lastActiveAt: string;
  /** The latest position, when the resume projection has it. */
  readonly resume?: Omit<ResumePoint, 'showId'>;
}

export interface RecommendationsView {
  readonly items: readonly RecommendationItem[];
  readonly at: string;
}

export interface MovieflixReadModel {
  /** The write side of the read model, run by the runtime under the commit protocol. */
  readonly projection: Projection;
  resume(userId: string, showId: string): ResumePoint | undefined;
  /** The user's shows, most recently active first (empty for a user with no history). */
  profile(userId: string): ProfileShow[];
  recommendations(userId: string): RecommendationsView | undefined;
  /** The user's resume points, latest first. */
  resumePoints(userId: string): ResumePoint[];
  /** Users with a profile or a resume point, most recently active first. */
  users(limit: number): string[];
  /** The popularity last stored by the batch job. */
  popularity(): PopularityScores;
  storePopularity(scores: PopularityScores, computedAt: string): void;
}

/** What the popularity job needs of the analytics store (analytics_records). */
export interface PositionAnalytics {
  /**
   * Over the position reports of `topic` with event time at or after `since`: distinct users per
   * show, and distinct users per (show, episode) who reached `completeRatio` of the episode.
   */
  positionStats(topic: string, since: string, completeRatio: number): PositionStats;
}

export interface PositionStats {
  readonly viewers: ReadonlyArray<{ showId: string; users: number }>;
  readonly completions: ReadonlyArray<{ showId: string; episodeId: string; users: number }>;
}

/**
 * MovieFlix's topics, catalog and settings (SPEC §2, §3). Positions are high volume (30 partitions,
 * keyed by user so that one user's reports stay in order) and ephemeral; recommendations are low
 * volume (few partitions) and only their latest value per user matters.
 *
 * The dataset is a parameter so that a second deployment (or a Kafka spec) can live beside the
 * first on one cluster: `createMovieflixTopics('movieflix_staging')`.
 */
import catalogJson from './movieflix-catalog.json' with { type: 'json' };
import { Catalog } from '../actors/movieflix/catalog.js';
import { recommendationsSchema, showPositionSchema, userProfilesSchema } from '../actors/movieflix/events.js';
import type { ViewerSettings } from '../actors/movieflix/viewerMachine.js';
import { DAY, HOUR, declareTopic } from '../src/topics/TopicDeclaration.js';

export function createMovieflixTopics(dataset = 'movieflix') {
  return {
    showPosition: declareTopic('tracking', dataset, 'show_position', {
      partitions: 30, key: 'user_id', retentionMs: DAY, schema: showPositionSchema,
      description: 'movieflix.position_recorded: where each user is in each show, every few seconds',
    }),
    userProfiles: declareTopic('streaming', dataset, 'user_profiles', {
      partitions: 12, key: 'user_id', retentionMs: 7 * DAY, schema: userProfilesSchema,
      description: 'movieflix.profile_changed: a show became watched, liked, disliked or abandoned',
    }),
    recommendations: declareTopic('streaming', dataset, 'recommendations', {
      partitions: 6, key: 'user_id', retentionMs: 7 * DAY, cleanupPolicy: 'compact,delete', schema: recommendationsSchema,
      description: 'movieflix.recommendations_changed: the next shows for a user, when the list changes',
    }),
  } as const;
}

export type MovieflixTopics = ReturnType<typeof createMovieflixTopics>;

export const movieflixTopics = createMovieflixTopics();

/** `movieflix` for `tracking.movieflix.show_position`. */
export const datasetOf = (topics: MovieflixTopics): string => topics.showPosition.name.split('.')[1];

/** The show catalog shipped with the project (config/movieflix-catalog.json). */
export const movieflixCatalog: Catalog = Catalog.from(catalogJson);

export interface MovieflixSettings extends ViewerSettings {
  /** How often the popularity job runs over the analytics store. */
  readonly popularityIntervalMs: number;
  /** How far back (by event time) the popularity job looks. */
  readonly popularityWindowMs: number;
}

export const movieflixSettings: MovieflixSettings = {
  dislikeAfterMs: 3 * DAY,
  dropWithinSec: 10 * 60,
  completeRatio: 0.95,
  maxRecommendations: 10,
  popularityIntervalMs: HOUR / 6,
  popularityWindowMs: 30 * DAY,
};

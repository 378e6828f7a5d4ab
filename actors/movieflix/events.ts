/**
 * MovieFlix's events (SPEC §3). Each is an envelope `{ id, type, key, at, ...fields }` saying what
 * happened; the schemas validate them at the edge and wherever a record is consumed.
 *
 *   movieflix.position_recorded        show_position (key user_id): a player reported a position
 *   movieflix.profile_changed          user_profiles (key user_id): one show's standing changed
 *   movieflix.recommendations_changed  recommendations (key user_id): the list changed
 */
import { z } from 'zod';
import { envelopeFields, zodEventSchema } from '../../src/events/EventSchema.js';

export const entityId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');
/** `s01e03`: season 1, episode 3. */
export const EPISODE_ID = /^s(\d{2,3})e(\d{2,3})$/;
export const episodeId = z.string().regex(EPISODE_ID, 'must look like s01e03 (season, episode)');
/** Nothing a player plays is longer than this. */
export const MAX_DURATION_SEC = 6 * 3_600;

export const SHOW_STATUSES = ['watching', 'liked', 'disliked', 'abandoned'] as const;
export type ShowStatus = (typeof SHOW_STATUSES)[number];

export const positionRecorded = z
  .object({
    ...envelopeFields,
    type: z.literal('movieflix.position_recorded'),
    userId: entityId,
    showId: entityId,
    episodeId,
    positionSec: z.number().nonnegative(),
    durationSec: z.number().positive().max(MAX_DURATION_SEC),
  })
  .refine((e) => e.positionSec <= e.durationSec, { message: 'must not exceed durationSec', path: ['positionSec'] })
  .refine((e) => e.key === e.userId, { message: 'the record key must be the userId', path: ['key'] });

export const profileChanged = z.object({
  ...envelopeFields,
  type: z.literal('movieflix.profile_changed'),
  userId: entityId,
  showId: entityId,
  status: z.enum(SHOW_STATUSES),
  episodesCompleted: z.number().int().nonnegative(),
  episodesTotal: z.number().int().nonnegative(),
  seasonsFinished: z.array(z.number().int().positive()),
  furthestEpisodeId: episodeId,
  /** Seconds of the show seen: the furthest position of every episode, summed. */
  watchedSec: z.number().nonnegative(),
  lastActiveAt: z.iso.datetime({ offset: true }),
  /** Increases with every event the viewer emits: read models keep the highest. */
  version: z.number().int().positive(),
});

export const recommendationItem = z.object({
  showId: entityId,
  score: z.number(),
  reason: z.string().max(200),
});

export const recommendationsChanged = z.object({
  ...envelopeFields,
  type: z.literal('movieflix.recommendations_changed'),
  userId: entityId,
  items: z.array(recommendationItem).max(50),
  version: z.number().int().positive(),
});

export type PositionRecorded = z.infer<typeof positionRecorded>;
export type ProfileChanged = z.infer<typeof profileChanged>;
export type RecommendationItem = z.infer<typeof recommendationItem>;
export type RecommendationsChanged = z.infer<typeof recommendationsChanged>;

export const showPositionSchema = zodEventSchema(positionRecorded);
export const userProfilesSchema = zodEventSchema(profileChanged);
export const recommendationsSchema = zodEventSchema(recommendationsChanged);

/**
 * MySocialMedia's events (SPEC §3). Each is an envelope `{ id, type, key, at, ...fields }` saying
 * what happened; the schemas validate them at the edge and wherever a record is consumed.
 */
import { z } from 'zod';
import { envelopeFields, zodEventSchema } from '../../src/events/EventSchema.js';

export const entityId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -');
export const MAX_POST_TEXT = 5_000;
export const MAX_COMMENT_TEXT = 2_000;

const url = z.string().max(2_048).url();

export const postCreated = z.object({
  ...envelopeFields,
  type: z.literal('post.created'),
  postId: entityId,
  userId: entityId,
  text: z.string().min(1).max(MAX_POST_TEXT),
  links: z.array(url).max(20).default([]),
  media: z.array(url).max(20).default([]),
  hashtags: z.array(z.string().regex(/^[\p{L}\p{N}_]{1,64}$/u, 'must be letters, digits or _')).max(30).default([]),
});

export const postDeleted = z.object({ ...envelopeFields, type: z.literal('post.deleted'), postId: entityId, userId: entityId });
export const postLiked = z.object({ ...envelopeFields, type: z.literal('post.liked'), postId: entityId, userId: entityId });
export const postUnliked = z.object({ ...envelopeFields, type: z.literal('post.unliked'), postId: entityId, userId: entityId });
export const postCommented = z.object({
  ...envelopeFields,
  type: z.literal('post.commented'),
  postId: entityId,
  commentId: entityId,
  userId: entityId,
  text: z.string().min(1).max(MAX_COMMENT_TEXT),
});

/** Minute (epoch minutes) → engagement events in that minute. */
const activity = z.array(z.tuple([z.number().int(), z.number().int().nonnegative()])).max(120);

export const postCountsChanged = z.object({
  ...envelopeFields,
  type: z.literal('post.counts_changed'),
  postId: entityId,
  userId: entityId,
  text: z.string(),
  hashtags: z.array(z.string()),
  createdAt: z.string(),
  likes: z.number().int().nonnegative(),
  comments: z.number().int().nonnegative(),
  deleted: z.boolean(),
  /** Increases with every change of the post: read models keep the highest. */
  version: z.number().int().positive(),
  activity,
});

export const trendingChanged = z.object({
  ...envelopeFields,
  type: z.literal('trending.changed'),
  windowStart: z.string(),
  windowEnd: z.string(),
  items: z.array(z.object({ postId: entityId, score: z.number(), likes: z.number(), comments: z.number() })),
});

export type PostCreated = z.infer<typeof postCreated>;
export type PostDeleted = z.infer<typeof postDeleted>;
export type PostLiked = z.infer<typeof postLiked>;
export type PostUnliked = z.infer<typeof postUnliked>;
export type PostCommented = z.infer<typeof postCommented>;
export type PostCountsChanged = z.infer<typeof postCountsChanged>;
export type TrendingChanged = z.infer<typeof trendingChanged>;

export type PostEvent = PostCreated | PostDeleted | PostLiked | PostUnliked | PostCommented;

export const postsSchema = zodEventSchema(z.discriminatedUnion('type', [postCreated, postDeleted]));
export const likesSchema = zodEventSchema(z.discriminatedUnion('type', [postLiked, postUnliked]));
export const commentsSchema = zodEventSchema(postCommented);
export const postsWithCountsSchema = zodEventSchema(postCountsChanged);
export const trendingSchema = zodEventSchema(trendingChanged);

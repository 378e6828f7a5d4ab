/**
 * MySocialMedia's topics (SPEC §2, §3). Posts are kept long; likes and comments, the highest
 * volume, are keyed by post so that one post's engagement is in one partition.
 */
import {
  commentsSchema,
  likesSchema,
  postsSchema,
  postsWithCountsSchema,
  trendingSchema,
} from '../actors/social/events.js';
import { DAY, FOREVER, declareTopic } from '../src/topics/TopicDeclaration.js';

export const socialTopics = {
  posts: declareTopic('tracking', 'social', 'posts', {
    partitions: 30, key: 'user_id', retentionMs: FOREVER, schema: postsSchema,
    description: 'post.created and post.deleted, by author',
  }),
  likes: declareTopic('tracking', 'social', 'likes', {
    partitions: 30, key: 'post_id', retentionMs: 7 * DAY, schema: likesSchema,
    description: 'post.liked and post.unliked',
  }),
  comments: declareTopic('tracking', 'social', 'comments', {
    partitions: 30, key: 'post_id', retentionMs: 7 * DAY, schema: commentsSchema,
    description: 'post.commented',
  }),
  postsWithCounts: declareTopic('streaming', 'social', 'posts_with_counts', {
    partitions: 30, key: 'post_id', retentionMs: 7 * DAY, schema: postsWithCountsSchema,
    description: 'every change of a post with its like and comment counts',
  }),
  trendingPosts: declareTopic('streaming', 'social', 'trending_posts', {
    partitions: 1, key: 'all', retentionMs: DAY, schema: trendingSchema,
    description: 'the posts with the most likes and comments in the past hour',
  }),
} as const;

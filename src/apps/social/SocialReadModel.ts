/**
 * The read side of MySocialMedia (CQRS): what the query services read. The projection fills it
 * from `posts_with_counts` and `trending_posts`; `adapters/sqlite/SqliteSocialReadModel.ts` keeps
 * it in SQLite tables.
 */
import type { Projection } from '../../host/ProjectionStage.js';

export interface PostView {
  readonly postId: string;
  readonly userId: string;
  readonly text: string;
  readonly hashtags: readonly string[];
  readonly likes: number;
  readonly comments: number;
  readonly deleted: boolean;
  readonly createdAt: string;
}

export interface TrendingView {
  readonly windowStart: string | null;
  readonly windowEnd: string | null;
  readonly items: ReadonlyArray<{ postId: string; score: number; likes: number; comments: number; text: string; userId: string }>;
}

export interface SocialReadModel {
  /** The write side of the read model, run by the runtime under the commit protocol. */
  readonly projection: Projection;
  post(postId: string): PostView | undefined;
  /** Newest posts first, deleted ones left out. */
  feed(limit: number): PostView[];
  trending(limit: number): TrendingView;
}

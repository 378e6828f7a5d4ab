/**
 * SQLite implementation of MySocialMedia's read model (src/apps/social/SocialReadModel.ts).
 *
 *   social_posts(post_id PK, user_id, text, hashtags JSON, likes, comments, deleted 0|1,
 *                version, created_at)  — a row per post, the highest version wins
 *   social_trending(rank PK, post_id, score, likes, comments) + social_trending_window(id=1,
 *                window_start, window_end, at) — the latest ranking by event time
 * Written by the projection inside the commit transaction; read through a separate connection
 * (WAL lets readers run beside the writer), so queries never touch the write path.
 */
import type { Statement } from 'better-sqlite3';
import { type EventEnvelope, type EventSchema } from '../../src/events/EventSchema.js';
import type { Projection } from '../../src/host/ProjectionStage.js';
import type { PostView, SocialReadModel, TrendingView } from '../../src/apps/social/SocialReadModel.js';
import type { StoreTransaction } from '../../src/store/StateStore.js';
import type { PostCountsChanged, TrendingChanged } from '../../actors/social/events.js';
import { socialTopics } from '../../config/social.js';
import type { SqliteDatabase } from './SqliteStateStore.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS social_posts (
  post_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, text TEXT NOT NULL, hashtags TEXT NOT NULL,
  likes INTEGER NOT NULL, comments INTEGER NOT NULL, deleted INTEGER NOT NULL,
  version INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS social_posts_feed ON social_posts(deleted, created_at DESC);
CREATE TABLE IF NOT EXISTS social_trending (
  rank INTEGER PRIMARY KEY, post_id TEXT NOT NULL, score INTEGER NOT NULL,
  likes INTEGER NOT NULL, comments INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS social_trending_window (
  id INTEGER PRIMARY KEY CHECK (id = 1), window_start TEXT, window_end TEXT, at TEXT NOT NULL);
`;

interface PostRow {
  post_id: string; user_id: string; text: string; hashtags: string;
  likes: number; comments: number; deleted: number; created_at: string;
}

interface TrendingRow {
  post_id: string; score: number; likes: number; comments: number; text: string | null; user_id: string | null;
}

export class SqliteSocialReadModel implements SocialReadModel {
  readonly projection: Projection;
  // Prepared once: preparing per request was ≈ 5 % of the server in benchmark 5 (like → post()).
  private readonly selectPost: Statement<[string], PostRow>;
  private readonly selectFeed: Statement<[number], PostRow>;
  private readonly selectWindow: Statement<[], { window_start: string; window_end: string }>;
  private readonly selectTrending: Statement<[number], TrendingRow>;

  /** `read` is a second connection to the same file for queries (defaults to `write`). */
  constructor(write: SqliteDatabase, read: SqliteDatabase = write) {
    write.exec(SCHEMA);
    this.selectPost = read.prepare('SELECT * FROM social_posts WHERE post_id = ?');
    this.selectFeed = read.prepare('SELECT * FROM social_posts WHERE deleted = 0 ORDER BY created_at DESC, post_id LIMIT ?');
    this.selectWindow = read.prepare('SELECT window_start, window_end FROM social_trending_window WHERE id = 1');
    this.selectTrending = read.prepare(
      `SELECT t.post_id, t.score, t.likes, t.comments, p.text, p.user_id FROM social_trending t
       LEFT JOIN social_posts p ON p.post_id = t.post_id
       WHERE coalesce(p.deleted, 0) = 0 ORDER BY t.rank LIMIT ?`);
    this.projection = {
      // Every instance keeps every post's row (one small row a post): any instance answers any post,
      // and the edge's existence check (a like on an unknown post: 404) asks the same rows.
      everyInstance: true,
      name: 'social.read_model',
      inputs: new Map<string, EventSchema<EventEnvelope>>([
        [socialTopics.postsWithCounts.name, socialTopics.postsWithCounts.schema],
        [socialTopics.trendingPosts.name, socialTopics.trendingPosts.schema],
      ]),
      apply: (event, tx) => this.apply(event as PostCountsChanged | TrendingChanged, tx),
    };
  }

  post(postId: string): PostView | undefined {
    const row = this.selectPost.get(postId);
    return row && view(row);
  }

  feed(limit: number): PostView[] {
    return this.selectFeed.all(limit).map(view);
  }

  trending(limit: number): TrendingView {
    const window = this.selectWindow.get();
    const items = this.selectTrending
      .all(limit)
      .map((r) => ({ postId: r.post_id, score: r.score, likes: r.likes, comments: r.comments, text: r.text ?? '', userId: r.user_id ?? '' }));
    return { windowStart: window?.window_start ?? null, windowEnd: window?.window_end ?? null, items };
  }

  private apply(event: PostCountsChanged | TrendingChanged, tx: StoreTransaction): void {
    if (event.type === 'post.counts_changed') {
      tx.run(
        `INSERT INTO social_posts (post_id, user_id, text, hashtags, likes, comments, deleted, version, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (post_id) DO UPDATE SET user_id = excluded.user_id, text = excluded.text,
           hashtags = excluded.hashtags, likes = excluded.likes, comments = excluded.comments,
           deleted = excluded.deleted, version = excluded.version, created_at = excluded.created_at
         WHERE excluded.version > social_posts.version`,
        [event.postId, event.userId, event.text, JSON.stringify(event.hashtags), event.likes, event.comments,
          event.deleted ? 1 : 0, event.version, event.createdAt],
      );
      return;
    }
    const current = tx.get<{ at: string }>('SELECT at FROM social_trending_window WHERE id = 1');
    // A redelivered older ranking must not replace a newer one.
    if (current && current.at > event.at) return;
    tx.run('DELETE FROM social_trending');
    event.items.forEach((item, i) =>
      tx.run('INSERT INTO social_trending (rank, post_id, score, likes, comments) VALUES (?, ?, ?, ?, ?)',
        [i + 1, item.postId, item.score, item.likes, item.comments]));
    tx.run(
      `INSERT INTO social_trending_window (id, window_start, window_end, at) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET window_start = excluded.window_start, window_end = excluded.window_end, at = excluded.at`,
      [event.windowStart, event.windowEnd, event.at],
    );
  }
}

function view(row: PostRow): PostView {
  return {
    postId: row.post_id,
    userId: row.user_id,
    text: row.text,
    hashtags: JSON.parse(row.hashtags),
    likes: row.likes,
    comments: row.comments,
    deleted: row.deleted === 1,
    createdAt: row.created_at,
  };
}

/**
 * SQLite implementation of MovieFlix's read model and of the analytics queries its popularity job
 * runs (src/apps/movieflix/MovieflixReadModel.ts: MovieflixReadModel, PositionAnalytics).
 *
 *   movieflix_resume(user_id, show_id, episode_id, position_sec, at, at_ms)  PK (user_id, show_id)
 *       — the latest report per user and show by event time (from show_position)
 *   movieflix_profile(user_id, show_id, status, episodes_completed, episodes_total,
 *       seasons_finished JSON, furthest_episode_id, watched_sec, last_active_at, last_active_ms,
 *       version)  PK (user_id, show_id) — the highest version wins (from user_profiles)
 *   movieflix_recommendations(user_id PK, items JSON, at, version) — the highest version wins
 *   movieflix_popularity(show_id PK, viewers, finishes, score, computed_at) — the batch job's output
 * The projection writes inside the commit transaction; queries go through a second connection (WAL
 * lets readers run beside the writer). The popularity job reads `analytics_records`, the table of
 * adapters/sinks/SqliteAnalyticsSink.ts, through the JSON of each record's value.
 */
import type { Statement } from 'better-sqlite3';
import type { PositionRecorded, ProfileChanged, RecommendationsChanged, ShowStatus } from '../../actors/movieflix/events.js';
import type { PopularityScores } from '../../actors/movieflix/recommend.js';
import { type MovieflixTopics, datasetOf, movieflixTopics } from '../../config/movieflix.js';
import type {
  MovieflixReadModel, PositionAnalytics, PositionStats, ProfileShow, RecommendationsView, ResumePoint,
} from '../../src/apps/movieflix/MovieflixReadModel.js';
import type { EventEnvelope, EventSchema } from '../../src/events/EventSchema.js';
import type { Projection } from '../../src/host/ProjectionStage.js';
import type { StoreTransaction } from '../../src/store/StateStore.js';
import type { SqliteDatabase } from './SqliteStateStore.js';
import { hasTable } from './hasTable.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS movieflix_resume (
  user_id TEXT NOT NULL, show_id TEXT NOT NULL, episode_id TEXT NOT NULL, position_sec REAL NOT NULL,
  at TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (user_id, show_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS movieflix_profile (
  user_id TEXT NOT NULL, show_id TEXT NOT NULL, status TEXT NOT NULL, episodes_completed INTEGER NOT NULL,
  episodes_total INTEGER NOT NULL, seasons_finished TEXT NOT NULL, furthest_episode_id TEXT NOT NULL,
  watched_sec REAL NOT NULL, last_active_at TEXT NOT NULL, last_active_ms INTEGER NOT NULL,
  version INTEGER NOT NULL, PRIMARY KEY (user_id, show_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS movieflix_recommendations (
  user_id TEXT PRIMARY KEY, items TEXT NOT NULL, at TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS movieflix_popularity (
  show_id TEXT PRIMARY KEY, viewers INTEGER NOT NULL, finishes INTEGER NOT NULL, score REAL NOT NULL,
  computed_at TEXT NOT NULL);
`;

const POSITION = 'movieflix.position_recorded';

interface ProfileRow {
  show_id: string; status: ShowStatus; episodes_completed: number; episodes_total: number;
  seasons_finished: string; furthest_episode_id: string; watched_sec: number; last_active_at: string;
  episode_id: string | null; position_sec: number | null; at: string | null;
}

export class SqliteMovieflixReadModel implements MovieflixReadModel, PositionAnalytics {
  readonly projection: Projection;
  // The request paths' statements, prepared once (the batch job's are prepared when it runs).
  private readonly selectResume: Statement<[string, string], { episode_id: string; position_sec: number; at: string }>;
  private readonly selectProfile: Statement<[string], ProfileRow>;
  private readonly selectRecommendations: Statement<[string], { items: string; at: string }>;
  private readonly selectPopularity: Statement<[], { show_id: string; viewers: number; finishes: number; score: number }>;

  /** `read` is a second connection to the same file for queries (defaults to `write`). */
  constructor(
    private readonly write: SqliteDatabase,
    private readonly read: SqliteDatabase = write,
    topics: MovieflixTopics = movieflixTopics,
  ) {
    write.exec(SCHEMA);
    this.selectResume = read.prepare('SELECT episode_id, position_sec, at FROM movieflix_resume WHERE user_id = ? AND show_id = ?');
    this.selectProfile = read.prepare(
      `SELECT p.*, r.episode_id, r.position_sec, r.at FROM movieflix_profile p
       LEFT JOIN movieflix_resume r ON r.user_id = p.user_id AND r.show_id = p.show_id
       WHERE p.user_id = ? ORDER BY p.last_active_ms DESC, p.show_id`);
    this.selectRecommendations = read.prepare('SELECT items, at FROM movieflix_recommendations WHERE user_id = ?');
    this.selectPopularity = read.prepare('SELECT show_id, viewers, finishes, score FROM movieflix_popularity ORDER BY show_id');
    const t = topics;
    this.projection = {
      // Every instance keeps every user's resume points, profile and recommendations: any instance
      // answers any user (a client is not pinned to an instance).
      everyInstance: true,
      name: `${datasetOf(t)}.read_model`,
      inputs: new Map<string, EventSchema<EventEnvelope>>([
        [t.showPosition.name, t.showPosition.schema],
        [t.userProfiles.name, t.userProfiles.schema],
        [t.recommendations.name, t.recommendations.schema],
      ]),
      apply: (event, tx) => this.apply(event as PositionRecorded | ProfileChanged | RecommendationsChanged, tx),
    };
  }

  resume(userId: string, showId: string): ResumePoint | undefined {
    const row = this.selectResume.get(userId, showId);
    return row && { showId, episodeId: row.episode_id, positionSec: row.position_sec, at: row.at };
  }

  profile(userId: string): ProfileShow[] {
    return this.selectProfile
      .all(userId)
      .map((r) => ({
        showId: r.show_id,
        status: r.status,
        episodesCompleted: r.episodes_completed,
        episodesTotal: r.episodes_total,
        seasonsFinished: JSON.parse(r.seasons_finished) as number[],
        furthestEpisodeId: r.furthest_episode_id,
        watchedSec: r.watched_sec,
        lastActiveAt: r.last_active_at,
        ...(r.episode_id !== null ? { resume: { episodeId: r.episode_id, positionSec: r.position_sec!, at: r.at! } } : {}),
      }));
  }

  resumePoints(userId: string): ResumePoint[] {
    return this.read
      .prepare<[string], ResumePoint>(
        `SELECT show_id AS showId, episode_id AS episodeId, position_sec AS positionSec, at
         FROM movieflix_resume WHERE user_id = ? ORDER BY at_ms DESC, show_id`)
      .all(userId);
  }

  users(limit: number): string[] {
    return this.read
      .prepare<[number], { user_id: string }>(
        `SELECT user_id FROM (SELECT user_id, at_ms FROM movieflix_resume UNION ALL SELECT user_id, last_active_ms FROM movieflix_profile)
         GROUP BY user_id ORDER BY max(at_ms) DESC, user_id LIMIT ?`)
      .all(limit)
      .map((r) => r.user_id);
  }

  recommendations(userId: string): RecommendationsView | undefined {
    const row = this.selectRecommendations.get(userId);
    return row && { items: JSON.parse(row.items), at: row.at };
  }

  popularity(): PopularityScores {
    const rows = this.selectPopularity.all();
    return Object.fromEntries(rows.map((r) => [r.show_id, { viewers: r.viewers, finishes: r.finishes, score: r.score }]));
  }

  storePopularity(scores: PopularityScores, computedAt: string): void {
    const insert = this.write.prepare(
      'INSERT INTO movieflix_popularity (show_id, viewers, finishes, score, computed_at) VALUES (?, ?, ?, ?, ?)');
    this.write.transaction(() => {
      this.write.exec('DELETE FROM movieflix_popularity');
      for (const [showId, s] of Object.entries(scores)) insert.run(showId, s.viewers, s.finishes, s.score, computedAt);
    })();
  }

  positionStats(topic: string, since: string, completeRatio: number): PositionStats {
    if (!hasTable(this.read, 'analytics_records')) return { viewers: [], completions: [] };
    // event_at is the envelope's `at`; the edge writes it as UTC ISO, so text order is time order
    // and the (topic, type, event_at) index serves the range. Each value's JSON is parsed once.
    const rows = this.read
      .prepare<[number, string, string, string], { kind: 'v' | 'c'; showId: unknown; episodeId: unknown; users: number }>(
        `WITH p AS MATERIALIZED (
           SELECT key, value ->> '$.showId' AS showId, value ->> '$.episodeId' AS episodeId,
                  (value ->> '$.positionSec') >= ? * (value ->> '$.durationSec') AS done
           FROM analytics_records WHERE topic = ? AND type = ? AND event_at >= ?)
         SELECT 'v' AS kind, showId, NULL AS episodeId, count(DISTINCT key) AS users FROM p GROUP BY showId
         UNION ALL
         SELECT 'c', showId, episodeId, count(DISTINCT key) FROM p WHERE done GROUP BY showId, episodeId`)
      .all(completeRatio, topic, POSITION, since);
    const viewers: Array<{ showId: string; users: number }> = [];
    const completions: Array<{ showId: string; episodeId: string; users: number }> = [];
    for (const r of rows) {
      if (typeof r.showId !== 'string') continue;
      if (r.kind === 'v') viewers.push({ showId: r.showId, users: r.users });
      else if (typeof r.episodeId === 'string') completions.push({ showId: r.showId, episodeId: r.episodeId, users: r.users });
    }
    return { viewers, completions };
  }

  private apply(event: PositionRecorded | ProfileChanged | RecommendationsChanged, tx: StoreTransaction): void {
    switch (event.type) {
      case 'movieflix.position_recorded': {
        const atMs = Date.parse(event.at);
        // A report that arrives late (older event time) must not move the resume point back.
        tx.run(
          `INSERT INTO movieflix_resume (user_id, show_id, episode_id, position_sec, at, at_ms) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id, show_id) DO UPDATE SET episode_id = excluded.episode_id,
             position_sec = excluded.position_sec, at = excluded.at, at_ms = excluded.at_ms
           WHERE excluded.at_ms >= movieflix_resume.at_ms`,
          [event.userId, event.showId, event.episodeId, event.positionSec, new Date(atMs).toISOString(), atMs],
        );
        return;
      }
      case 'movieflix.profile_changed':
        tx.run(
          `INSERT INTO movieflix_profile (user_id, show_id, status, episodes_completed, episodes_total, seasons_finished,
             furthest_episode_id, watched_sec, last_active_at, last_active_ms, version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id, show_id) DO UPDATE SET status = excluded.status,
             episodes_completed = excluded.episodes_completed, episodes_total = excluded.episodes_total,
             seasons_finished = excluded.seasons_finished, furthest_episode_id = excluded.furthest_episode_id,
             watched_sec = excluded.watched_sec, last_active_at = excluded.last_active_at,
             last_active_ms = excluded.last_active_ms, version = excluded.version
           WHERE excluded.version > movieflix_profile.version`,
          [event.userId, event.showId, event.status, event.episodesCompleted, event.episodesTotal,
            JSON.stringify(event.seasonsFinished), event.furthestEpisodeId, event.watchedSec, event.lastActiveAt,
            Date.parse(event.lastActiveAt), event.version],
        );
        return;
      case 'movieflix.recommendations_changed':
        tx.run(
          `INSERT INTO movieflix_recommendations (user_id, items, at, version) VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET items = excluded.items, at = excluded.at, version = excluded.version
           WHERE excluded.version > movieflix_recommendations.version`,
          [event.userId, JSON.stringify(event.items), event.at, event.version],
        );
    }
  }
}

/**
 * The slow layer of MovieFlix's recommendations: a batch job over the analytics store
 * (`analytics_records`, filled from `show_position` by the SQLite analytics sink) that computes
 * per-show popularity — distinct viewers and season finishes — and stores it for the recommendation
 * engine. It runs every `intervalMs` on the injected clock as a background service; specs call
 * `run()` directly.
 *
 *   raw(show)   = viewers + 2 × finishes          (finishes: users who watched a season finale
 *                                                   to `completeRatio`, once per season)
 *   score(show) = ln(1 + raw) / ln(1 + max raw)   (0..1, so popularity breaks ties between
 *                                                   similar matches rather than swamping them)
 */
import type { Catalog } from '../../../actors/movieflix/catalog.js';
import type { PopularityScores } from '../../../actors/movieflix/recommend.js';
import type { Clock, TimerHandle } from '../../clock/Clock.js';
import type { Logger } from '../../log/Logger.js';
import { silentLogger } from '../../log/Logger.js';
import type { MovieflixReadModel, PositionAnalytics, PositionStats } from './MovieflixReadModel.js';

export const FINISH_WEIGHT = 2;

export interface PopularityJobOptions {
  readonly analytics: PositionAnalytics;
  readonly store: Pick<MovieflixReadModel, 'popularity' | 'storePopularity'>;
  readonly catalog: Catalog;
  readonly clock: Clock;
  /** The show_position topic, as the analytics sink records it. */
  readonly topic: string;
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly completeRatio: number;
  readonly logger?: Logger;
}

export class PopularityJob {
  readonly name = 'movieflix.popularity';
  // The viewer actors rank with it as the routes do: every worker thread computes its own copy.
  readonly runs = 'everywhere';
  private scores: PopularityScores;
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly log: Logger;

  constructor(private readonly options: PopularityJobOptions) {
    this.log = (options.logger ?? silentLogger).child({ job: this.name });
    // What an earlier run computed serves until this process has run the job itself.
    this.scores = options.store.popularity();
  }

  /** The latest popularity, for the recommendation engine. */
  current(): PopularityScores {
    return this.scores;
  }

  /** One run: reads the analytics store, stores and returns the new popularity. */
  run(): PopularityScores {
    const o = this.options;
    const now = o.clock.now();
    const since = new Date(now - o.windowMs).toISOString();
    const scores = popularityFrom(o.analytics.positionStats(o.topic, since, o.completeRatio), o.catalog);
    o.store.storePopularity(scores, new Date(now).toISOString());
    this.scores = scores;
    return scores;
  }

  async start(): Promise<void> {
    this.running = true;
    this.runLogged();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.runLogged();
      this.schedule();
    }, this.options.intervalMs);
  }

  private runLogged(): void {
    const started = this.options.clock.now();
    try {
      const scores = this.run();
      this.log.info('popularity computed', { shows: Object.keys(scores).length, ms: this.options.clock.now() - started });
    } catch (error) {
      // The previous popularity keeps serving; the next run tries again.
      this.log.error('popularity job failed', { error });
    }
  }
}

/** Per-show popularity from the analytics aggregates (pure; shows outside the catalog are left out). */
export function popularityFrom(stats: PositionStats, catalog: Catalog): PopularityScores {
  const finales = new Set(catalog.finales().map((e) => `${e.showId}/${e.episodeId}`));
  const raw = new Map<string, { viewers: number; finishes: number }>();
  const entry = (showId: string) => {
    let e = raw.get(showId);
    if (!e) raw.set(showId, (e = { viewers: 0, finishes: 0 }));
    return e;
  };
  for (const v of stats.viewers) if (catalog.show(v.showId)) entry(v.showId).viewers += v.users;
  for (const c of stats.completions) if (finales.has(`${c.showId}/${c.episodeId}`)) entry(c.showId).finishes += c.users;
  const value = (e: { viewers: number; finishes: number }) => e.viewers + FINISH_WEIGHT * e.finishes;
  const max = Math.max(0, ...[...raw.values()].map(value));
  const scores: Record<string, { viewers: number; finishes: number; score: number }> = {};
  for (const [showId, e] of [...raw].sort(([a], [b]) => (a < b ? -1 : 1))) {
    scores[showId] = { ...e, score: max > 0 ? Math.round((Math.log1p(value(e)) / Math.log1p(max)) * 1000) / 1000 : 0 };
  }
  return scores;
}

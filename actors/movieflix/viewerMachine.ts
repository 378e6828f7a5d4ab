/**
 * The viewer actor (key user_id), fed by `show_position`: the latest position per show (resume),
 * the profile (what was watched and how far; liked, disliked, abandoned), and recommendations
 * computed in real time from both (actors/movieflix/recommend.ts).
 *
 * The disliked signal is a delayed transition: while some show is in progress the actor waits in
 * `awaiting`, whose `after: { dislikeAfter }` fires when no report at all came for `dislikeAfterMs`
 * (every report re-enters the state, restarting the delay); the shows still in progress are then
 * judged. While reports keep coming, a show left alone for `dislikeAfterMs` by event time is judged
 * on the next report. The delay runs on the clock the actor is created with (the runtime's).
 *
 * Emits `movieflix.profile_changed` when a show's standing changes and
 * `movieflix.recommendations_changed` only when the list changes (low volume).
 */
import { enqueueActions, setup } from 'xstate';
import type { Catalog } from './catalog.js';
import type { PositionRecorded, ProfileChanged, RecommendationItem, RecommendationsChanged } from './events.js';
import { type PopularityScores, recommend, sameItems } from './recommend.js';
import {
  type ProgressRules, type ShowProgress, awaitsJudgement, judged, recordPosition, sameStanding, standing,
} from './showProgress.js';

export interface ViewerSettings extends ProgressRules {
  /** A show in progress not resumed within this long is disliked (or abandoned). */
  readonly dislikeAfterMs: number;
  readonly maxRecommendations: number;
}

export interface ViewerEnvironment {
  readonly catalog: Catalog;
  readonly settings: ViewerSettings;
  /** The latest per-show popularity from the batch job (empty until it first ran). */
  readonly popularity?: () => PopularityScores;
}

export interface ViewerContext {
  readonly userId: string;
  readonly shows: Readonly<Record<string, ShowProgress>>;
  /** The latest event time seen (ISO): the viewer's "now" by event time. */
  readonly latestAt: string | null;
  /** Counts the events emitted; read models keep the highest. */
  readonly version: number;
  /** The list last emitted. */
  readonly recommendations: readonly RecommendationItem[];
}

export type ViewerEmitted = Omit<ProfileChanged, 'id'> | Omit<RecommendationsChanged, 'id'>;

interface Step {
  readonly context: ViewerContext;
  readonly emitted: readonly ViewerEmitted[];
}

const noPopularity = (): PopularityScores => ({});

export function createViewerMachine(env: ViewerEnvironment) {
  const { settings } = env;
  return setup({
    types: {
      context: {} as ViewerContext,
      events: {} as PositionRecorded,
      input: {} as { key: string },
      emitted: {} as ViewerEmitted,
    },
    delays: { dislikeAfter: settings.dislikeAfterMs },
    guards: {
      // A show or episode not in this catalog (an older producer's) neither counts nor restarts the delay.
      inCatalog: ({ event }) => env.catalog.episode(event.showId, event.episodeId) !== undefined,
      showInProgress: ({ context }) => Object.values(context.shows).some(awaitsJudgement),
    },
    actions: {
      record: enqueueActions(({ context, event, enqueue }) => {
        const step = onPosition(context, event, env);
        enqueue.assign(step.context);
        for (const e of step.emitted) enqueue.emit(e);
      }),
      judgeInactive: enqueueActions(({ context, enqueue }) => {
        const step = onInactive(context, env);
        enqueue.assign(step.context);
        for (const e of step.emitted) enqueue.emit(e);
      }),
    },
  }).createMachine({
    id: 'viewer',
    context: ({ input }) => ({ userId: input.key, shows: {}, latestAt: null, version: 0, recommendations: [] }),
    initial: 'idle',
    states: {
      /** No show in progress: nothing to judge. */
      idle: {},
      /** Transient: decides, after a report, whether a judgement is due some day. */
      settling: {
        always: [{ guard: 'showInProgress', target: 'awaiting' }, { target: 'idle' }],
      },
      /** Some show in progress; no report for `dislikeAfter` judges it. */
      awaiting: {
        after: { dislikeAfter: { target: 'idle', actions: 'judgeInactive' } },
      },
    },
    on: {
      'movieflix.position_recorded': { guard: 'inCatalog', target: '.settling', actions: 'record' },
    },
  });
}

export type ViewerMachine = ReturnType<typeof createViewerMachine>;

/** A report: shows left alone for too long (by event time) are judged, then the report applies. */
export function onPosition(context: ViewerContext, event: PositionRecorded, env: ViewerEnvironment): Step {
  const episode = env.catalog.episode(event.showId, event.episodeId);
  if (!episode) return { context, emitted: [] };
  const nowMs = Math.max(context.latestAt ? Date.parse(context.latestAt) : 0, Date.parse(event.at));
  const step = new StepBuilder(context, env, new Date(nowMs).toISOString());
  for (const show of Object.values(context.shows)) {
    if (show.showId === event.showId || !awaitsJudgement(show)) continue;
    if (Date.parse(show.activeAt) + env.settings.dislikeAfterMs <= nowMs) step.put(judged(show, env.settings));
  }
  step.put(recordPosition(context.shows[event.showId], event, episode, env.settings));
  return step.finish();
}

/** No report for `dislikeAfterMs`: every show still in progress is judged. */
export function onInactive(context: ViewerContext, env: ViewerEnvironment): Step {
  // By event time, "now" is the last report plus the delay that just ran out.
  const nowMs = (context.latestAt ? Date.parse(context.latestAt) : 0) + env.settings.dislikeAfterMs;
  const step = new StepBuilder(context, env, new Date(nowMs).toISOString());
  for (const show of Object.values(context.shows)) if (awaitsJudgement(show)) step.put(judged(show, env.settings));
  return step.finish();
}

class StepBuilder {
  private readonly shows: Record<string, ShowProgress>;
  private readonly emitted: ViewerEmitted[] = [];
  private version: number;

  constructor(private readonly context: ViewerContext, private readonly env: ViewerEnvironment, private readonly at: string) {
    this.shows = { ...context.shows };
    this.version = context.version;
  }

  put(next: ShowProgress): void {
    const before = this.shows[next.showId];
    this.shows[next.showId] = next;
    const now = standing(next);
    if (before && sameStanding(standing(before), now)) return;
    const { userId } = this.context;
    this.emitted.push({
      type: 'movieflix.profile_changed', key: userId, at: this.at, userId, showId: next.showId,
      ...now, episodesTotal: this.env.catalog.episodeCount(next.showId), version: ++this.version,
    });
  }

  finish(): Step {
    const { userId } = this.context;
    const seen = Object.values(this.shows).map((s) => ({ showId: s.showId, status: s.status, activeAt: s.activeAt }));
    const items = recommend(seen, this.env.catalog, (this.env.popularity ?? noPopularity)(), this.env.settings.maxRecommendations);
    let recommendations = this.context.recommendations;
    if (!sameItems(recommendations, items)) {
      recommendations = items;
      this.emitted.push({ type: 'movieflix.recommendations_changed', key: userId, at: this.at, userId, items, version: ++this.version });
    }
    return {
      context: { ...this.context, shows: this.shows, latestAt: this.at, version: this.version, recommendations },
      emitted: this.emitted,
    };
  }
}

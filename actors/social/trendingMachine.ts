/**
 * Trending (key `all`): the posts with the most likes and comments in the past hour, by event
 * time. It reads `posts_with_counts` re-keyed to one key, keeps a bounded pool of candidates with
 * their per-minute activity, and emits `trending.changed` when the top list changes.
 */
import { enqueueActions, setup } from 'xstate';
import { type Activity, WINDOW_MINUTES, minuteOf, scoreAt } from './activity.js';
import type { PostCountsChanged, TrendingChanged } from './events.js';

export const TOP = 20;
/** Candidates kept beyond the top: a post that falls out can climb back on its next event. */
const POOL = 10 * TOP;

interface Candidate {
  readonly postId: string;
  readonly likes: number;
  readonly comments: number;
  readonly activity: Activity;
}

export interface TrendingContext {
  readonly candidates: Readonly<Record<string, Candidate>>;
  /** Latest event time seen, epoch minutes: the end of the window. */
  readonly now: number;
  readonly top: ReadonlyArray<{ postId: string; score: number; likes: number; comments: number }>;
}

type Changed = Omit<TrendingChanged, 'id' | 'at'> & { at: string };

export const trendingMachine = setup({
  types: {
    context: {} as TrendingContext,
    events: {} as PostCountsChanged,
    input: {} as { key: string },
    emitted: {} as Changed,
  },
}).createMachine({
  id: 'trending',
  context: { candidates: {}, now: 0, top: [] },
  on: {
    'post.counts_changed': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const next = rank(context, event);
        enqueue.assign(next);
        if (sameTop(context.top, next.top)) return;
        enqueue.emit({
          type: 'trending.changed',
          key: 'all',
          at: event.at,
          windowStart: new Date((next.now - WINDOW_MINUTES + 1) * 60_000).toISOString(),
          windowEnd: new Date((next.now + 1) * 60_000).toISOString(),
          items: next.top.map((t) => ({ ...t })),
        });
      }),
    },
  },
});

function rank(context: TrendingContext, event: PostCountsChanged): TrendingContext {
  const now = Math.max(context.now, minuteOf(event.at));
  const candidates: Record<string, Candidate> = { ...context.candidates };
  if (event.deleted) delete candidates[event.postId];
  else candidates[event.postId] = { postId: event.postId, likes: event.likes, comments: event.comments, activity: event.activity };
  const ranked = Object.values(candidates)
    .map((c) => ({ c, score: scoreAt(c.activity, now) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || (a.c.postId < b.c.postId ? -1 : 1))
    .slice(0, POOL);
  return {
    now,
    candidates: Object.fromEntries(ranked.map((r) => [r.c.postId, r.c])),
    top: ranked.slice(0, TOP).map((r) => ({ postId: r.c.postId, score: r.score, likes: r.c.likes, comments: r.c.comments })),
  };
}

function sameTop(a: TrendingContext['top'], b: TrendingContext['top']): boolean {
  return a.length === b.length && a.every((x, i) =>
    x.postId === b[i].postId && x.score === b[i].score && x.likes === b[i].likes && x.comments === b[i].comments);
}

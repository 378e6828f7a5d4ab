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
  /** Engagement in the hour ending at `now` (a candidate's score changes only with it or its activity). */
  readonly score: number;
}

export interface TrendingContext {
  /** The candidates, best first (score, then id). */
  readonly pool: readonly Candidate[];
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
  context: { pool: [], now: 0, top: [] },
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

/**
 * The pool after one post's change. Within a minute only that post's score moves: it is re-scored
 * and put back in place by binary search. When the window's end moves, every candidate is
 * re-scored (once a minute of event time, not once an event).
 */
function rank(context: TrendingContext, event: PostCountsChanged): TrendingContext {
  const now = Math.max(context.now, minuteOf(event.at));
  const fresh = event.deleted ? undefined : candidate(event, now);
  let pool: Candidate[];
  if (now !== context.now || context.pool === undefined) {
    pool = [];
    for (const c of context.pool ?? []) {
      if (c.postId === event.postId) continue;
      const score = scoreAt(c.activity, now);
      if (score > 0) pool.push(score === c.score ? c : { ...c, score });
    }
    if (fresh && fresh.score > 0) pool.push(fresh);
    pool.sort(better);
  } else {
    pool = context.pool.filter((c) => c.postId !== event.postId);
    if (fresh && fresh.score > 0) pool.splice(insertionPoint(pool, fresh), 0, fresh);
  }
  if (pool.length > POOL) pool.length = POOL;
  return {
    now,
    pool,
    top: pool.slice(0, TOP).map((c) => ({ postId: c.postId, score: c.score, likes: c.likes, comments: c.comments })),
  };
}

function candidate(event: PostCountsChanged, now: number): Candidate {
  return { postId: event.postId, likes: event.likes, comments: event.comments, activity: event.activity, score: scoreAt(event.activity, now) };
}

/** Best first: higher score, then the smaller id. */
function better(a: Candidate, b: Candidate): number {
  return b.score - a.score || (a.postId < b.postId ? -1 : 1);
}

/** Where `c` goes in `pool` (sorted by `better`): after every candidate better than it. */
function insertionPoint(pool: readonly Candidate[], c: Candidate): number {
  let lo = 0;
  let hi = pool.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (better(pool[mid], c) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sameTop(a: TrendingContext['top'], b: TrendingContext['top']): boolean {
  return a.length === b.length && a.every((x, i) =>
    x.postId === b[i].postId && x.score === b[i].score && x.likes === b[i].likes && x.comments === b[i].comments);
}

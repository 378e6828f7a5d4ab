/**
 * The post actor (key post_id): likes — one per user, an unlike removes it —, comments, deletion.
 * Likes and comments may arrive before the post itself (they come straight from `likes` and
 * `comments`, the post through a repartition of `posts`): they are kept in `pending` and counted
 * once the post exists. Every change is emitted as `post.counts_changed` to `posts_with_counts`.
 */
import { assign, emit, setup } from 'xstate';
import { type Activity, recordActivity } from './activity.js';
import type { PostCountsChanged, PostEvent } from './events.js';
import { type LikerSet, addLiker, hasLiker, likerCount, noLikers, removeLiker } from './likerSet.js';

export interface PostContext {
  readonly postId: string;
  readonly userId: string | null;
  readonly text: string;
  readonly hashtags: readonly string[];
  readonly createdAt: string | null;
  /** One like per user (likerSet.ts). */
  readonly likers: LikerSet;
  readonly comments: number;
  readonly version: number;
  readonly activity: Activity;
}

type CountsChanged = Omit<PostCountsChanged, 'id' | 'at'> & { at: string };

export const postMachine = setup({
  types: {
    context: {} as PostContext,
    events: {} as PostEvent,
    input: {} as { key: string },
    emitted: {} as CountsChanged,
  },
  guards: {
    notYetLiked: ({ context, event }) => 'userId' in event && !hasLiker(context.likers, event.userId),
    alreadyLiked: ({ context, event }) => 'userId' in event && hasLiker(context.likers, event.userId),
    byAuthor: ({ context, event }) => event.type === 'post.deleted' && event.userId === context.userId,
  },
  actions: {
    create: assign(({ event }) => {
      if (event.type !== 'post.created') return {};
      return { userId: event.userId, text: event.text, hashtags: event.hashtags, createdAt: event.at };
    }),
    addLike: assign(({ context, event }) => ({
      likers: addLiker(context.likers, event.userId),
      activity: recordActivity(context.activity, event.at),
    })),
    removeLike: assign(({ context, event }) => ({ likers: removeLiker(context.likers, event.userId) })),
    addComment: assign(({ context, event }) => ({
      comments: context.comments + 1,
      activity: recordActivity(context.activity, event.at),
    })),
    bump: assign(({ context }) => ({ version: context.version + 1 })),
    emitCounts: emit(({ context, event }) => counts(context, event.at, false)),
    emitDeleted: emit(({ context, event }) => counts(context, event.at, true)),
  },
}).createMachine({
  id: 'post',
  context: ({ input }) => ({
    postId: input.key,
    userId: null,
    text: '',
    hashtags: [],
    createdAt: null,
    likers: noLikers,
    comments: 0,
    version: 0,
    activity: [],
  }),
  initial: 'pending',
  states: {
    pending: {
      on: {
        'post.created': { target: 'active', actions: ['create', 'bump', 'emitCounts'] },
        'post.liked': { guard: 'notYetLiked', actions: 'addLike' },
        'post.unliked': { guard: 'alreadyLiked', actions: 'removeLike' },
        'post.commented': { actions: 'addComment' },
      },
    },
    active: {
      on: {
        'post.liked': { guard: 'notYetLiked', actions: ['addLike', 'bump', 'emitCounts'] },
        'post.unliked': { guard: 'alreadyLiked', actions: ['removeLike', 'bump', 'emitCounts'] },
        'post.commented': { actions: ['addComment', 'bump', 'emitCounts'] },
        'post.deleted': { guard: 'byAuthor', target: 'deleted', actions: ['bump', 'emitDeleted'] },
      },
    },
    // Deleted posts ignore further likes and comments; the counts stay as they were.
    deleted: {},
  },
});

function counts(context: PostContext, at: string, deleted: boolean): CountsChanged {
  return {
    type: 'post.counts_changed',
    key: context.postId,
    at,
    postId: context.postId,
    userId: context.userId ?? '',
    text: context.text,
    hashtags: [...context.hashtags],
    createdAt: context.createdAt ?? at,
    likes: likerCount(context.likers),
    comments: context.comments,
    deleted,
    version: context.version,
    activity: context.activity.map(([m, c]) => [m, c] as [number, number]),
  };
}

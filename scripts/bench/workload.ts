/**
 * The benchmark workload, the same for kastor and for every peer it is compared with: the social
 * likes workload of MySocialMedia. `posts` posts are created first (`post.created`, so that every
 * post actor is active and each like changes its counts and emits `post.counts_changed`), then
 * `likes` `post.liked` envelopes keyed by post id, the post drawn from a Zipf distribution
 * (exponent 1: the k-th most popular post gets likes in proportion to 1/k) and the user uniformly
 * from `users`. Seeded: the same sizes give the same records on every run and machine.
 *
 * The bench app is MySocialMedia's post entity alone, on topics of its own (`tracking.bench_<tag>.*`)
 * so that a run on the shared Kafka broker never touches anyone's topics or consumer groups. Its
 * posts topic is keyed by post id (no repartition stage): only the host is measured.
 */
import { postMachine } from '../../actors/social/postMachine.js';
import { commentsSchema, likesSchema, postsSchema, postsWithCountsSchema } from '../../actors/social/events.js';
import type { AppDefinition } from '../../src/host/AppDefinition.js';
import { seededRandom } from '../../src/ids/IdSource.js';
import { DAY, type TopicDeclaration, declareTopic } from '../../src/topics/TopicDeclaration.js';

export interface WorkloadSizes {
  readonly posts: number;
  readonly likes: number;
  readonly users: number;
}

export interface BenchTopics {
  readonly posts: TopicDeclaration;
  readonly likes: TopicDeclaration;
  readonly comments: TopicDeclaration;
  readonly postsWithCounts: TopicDeclaration;
}

export const PARTITIONS = 30;
/** Event time of the first like; the likes are spread over one hour of event time. */
const START = Date.parse('2025-06-01T12:00:00.000Z');

export function benchTopics(tag: string, retentionMs = 7 * DAY): BenchTopics {
  const dataset = `bench_${tag}`;
  const common = { partitions: PARTITIONS, key: 'post_id', retentionMs };
  return {
    posts: declareTopic('tracking', dataset, 'posts', { ...common, schema: postsSchema }),
    likes: declareTopic('tracking', dataset, 'likes', { ...common, schema: likesSchema }),
    comments: declareTopic('tracking', dataset, 'comments', { ...common, schema: commentsSchema }),
    postsWithCounts: declareTopic('streaming', dataset, 'posts_with_counts', { ...common, schema: postsWithCountsSchema }),
  };
}

/** MySocialMedia's post entity on the bench topics; its stage is `<app>.post`. */
export function benchApp(tag: string, topics: BenchTopics, maxLiveActors?: number): AppDefinition {
  return {
    name: `bench_${tag}`,
    topics: Object.values(topics),
    entities: [{
      name: 'post',
      machine: postMachine,
      inputs: [{ topic: topics.posts }, { topic: topics.likes }, { topic: topics.comments }],
      outputs: { 'post.counts_changed': topics.postsWithCounts },
      maxLiveActors,
    }],
  };
}

export const postId = (i: number): string => `post_${i}`;

export interface PostCreatedEvent {
  readonly id: string; readonly type: 'post.created'; readonly key: string; readonly at: string;
  readonly postId: string; readonly userId: string; readonly text: string;
  readonly links: string[]; readonly media: string[]; readonly hashtags: string[];
}

export interface PostLikedEvent {
  readonly id: string; readonly type: 'post.liked'; readonly key: string; readonly at: string;
  readonly postId: string; readonly userId: string;
}

export function postCreated(i: number): PostCreatedEvent {
  const key = postId(i);
  return {
    id: `c${i}`, type: 'post.created', key, at: new Date(START - 3_600_000).toISOString(),
    postId: key, userId: `user_${i % 10_007}`, text: `post number ${i}`, links: [], media: [], hashtags: ['bench'],
  };
}

/** Draws indexes in [0, n) by Zipf(1): an inverse-CDF table and a binary search. */
export function zipf(n: number, random: () => number, exponent = 1): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / Math.pow(k + 1, exponent);
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * The likes, in production order. Post indexes are shuffled by a fixed permutation so that the
 * popular posts are spread over the partitions rather than clustered by their number.
 */
export function* likeEvents(sizes: WorkloadSizes, seed = 7): Generator<PostLikedEvent> {
  const random = seededRandom(seed);
  const draw = zipf(sizes.posts, random);
  const spreadMs = 3_600_000 / Math.max(1, sizes.likes);
  for (let i = 0; i < sizes.likes; i++) {
    const post = (draw() * 7_919 + 13) % sizes.posts;
    const key = postId(post);
    yield {
      id: `l${i}`, type: 'post.liked', key, at: new Date(START + Math.floor(i * spreadMs)).toISOString(),
      postId: key, userId: `user_${Math.floor(random() * sizes.users)}`,
    };
  }
}

/**
 * What the likes make of the posts, as the post actor counts them (one like per user): each liked
 * post's final number of likers, and the number of changes — likes that were not a repeat, each of
 * which emits the post's counts once.
 */
export function likeTruth(sizes: WorkloadSizes, seed = 7): { likes: Map<string, number>; changes: number } {
  const likers = new Map<string, Set<string>>();
  let changes = 0;
  for (const like of likeEvents(sizes, seed)) {
    let set = likers.get(like.postId);
    if (!set) likers.set(like.postId, (set = new Set()));
    if (!set.has(like.userId)) {
      set.add(like.userId);
      changes++;
    }
  }
  return { likes: new Map([...likers].map(([post, set]) => [post, set.size])), changes };
}

/** Events as records for a producer: `{topic, key, value}` in batches of `size`. */
export function* recordBatches(topic: string, events: Iterable<{ key: string }>, size = 10_000): Generator<Array<{ topic: string; key: string; value: string }>> {
  let batch: Array<{ topic: string; key: string; value: string }> = [];
  for (const e of events) {
    batch.push({ topic, key: e.key, value: JSON.stringify(e) });
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export function* range<T>(n: number, f: (i: number) => T): Generator<T> {
  for (let i = 0; i < n; i++) yield f(i);
}

/**
 * Benchmark 1, host efficiency on the memory transport: likes per second through
 * transport → actor host → XState actor → outbox → SQLite commit (and the outbox produced),
 * divided by the rate of bare XState `actor.send` on the same events, in the same process.
 *
 * The box is shared: besides wall-clock rates, both sides are also timed in CPU seconds of the
 * process (process.cpuUsage, every thread: V8's GC helpers count on both sides), which other
 * processes on the machine do not inflate.
 *
 * Both sides start from the same state: every post created and its actor live (the host runs with
 * `maxLiveActors` ≥ posts, as the bare side keeps all its actors). The bare rate is measured before
 * and after the host run and the better one is used, so that the ratio errs against kastor.
 */
import { createActor, type AnyActorRef } from 'xstate';
import { postMachine } from '../../actors/social/postMachine.js';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { type BenchResult, now, profiled, result, round } from './measure.js';
import { RuntimeHarness } from './runtimeHarness.js';
import { type PostLikedEvent, type WorkloadSizes, likeEvents, postCreated, range, recordBatches } from './workload.js';

export function hostSizes(quick: boolean): WorkloadSizes {
  return quick ? { posts: 5_000, likes: 30_000, users: 1_000_000 } : { posts: 100_000, likes: 200_000, users: 1_000_000 };
}

/** CPU seconds this process used (all its threads), which other processes on the box cannot steal. */
const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export interface Rate {
  /** Events per wall-clock second. */
  readonly wall: number;
  /** Events per CPU second of the process. */
  readonly cpu: number;
}

/** Bare XState: create and start every post actor, create its post, then time the likes alone. */
export function bareSendRate(sizes: WorkloadSizes, likes: readonly PostLikedEvent[]): Rate {
  const actors = new Map<string, AnyActorRef>();
  for (let i = 0; i < sizes.posts; i++) {
    const created = postCreated(i);
    const actor = createActor(postMachine, { input: { key: created.key } });
    actor.start();
    actor.send(created);
    actors.set(created.key, actor);
  }
  const t0 = now();
  const c0 = cpuSeconds();
  for (const like of likes) actors.get(like.key)!.send(like);
  const cpu = cpuSeconds() - c0;
  const elapsed = now() - t0;
  for (const actor of actors.values()) actor.stop();
  return { wall: likes.length / (elapsed / 1000), cpu: likes.length / cpu };
}

export async function hostBench(quick: boolean): Promise<BenchResult> {
  const sizes = hostSizes(quick);
  const out = result('host', 'Host efficiency, memory transport (social likes, Zipf)');
  const likes = [...likeEvents(sizes)];

  // BENCH_NO_BARE=1 leaves the bare runs out, for a profile of the host alone.
  const skipBare = process.env.BENCH_NO_BARE === '1';
  const none = { wall: NaN, cpu: NaN };
  const bareBefore = skipBare ? none : bareSendRate(sizes, likes);

  const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
  const harness = new RuntimeHarness({ broker, tag: `host${process.pid}`, maxLiveActors: sizes.posts });
  await harness.start();
  const { posts: postsTopic, likes: likesTopic } = harness.topics;
  await harness.produce(recordBatches(postsTopic.name, range(sizes.posts, postCreated)));
  const tPosts = now();
  await harness.caughtUp(postsTopic.name, sizes.posts, 600_000);
  const postsMs = now() - tPosts;

  // Serialised before the clock starts: the producer's JSON is not the host's work.
  const batches = [...recordBatches(likesTopic.name, likes)];
  const tProduce = now();
  await harness.produceAll(batches);
  const produceMs = now() - tProduce;
  const t0 = now();
  const c0 = cpuSeconds();
  await profiled('host', () => harness.caughtUp(likesTopic.name, sizes.likes, 1_800_000));
  const hostCpu = sizes.likes / (cpuSeconds() - c0);
  const hostMs = now() - t0;
  const hostRate = sizes.likes / (hostMs / 1000);
  const meanBatch = harness.meanBatch();
  await harness.stop();
  await harness.close();
  await broker.close();
  harness.remove();

  const bareAfter = skipBare ? none : bareSendRate(sizes, likes);
  const bare = Math.max(bareBefore.wall, bareAfter.wall);
  const bareCpu = Math.max(bareBefore.cpu, bareAfter.cpu);

  out.figures.push(
    { label: `kastor host, ${sizes.likes} likes on ${sizes.posts} posts (memory → actor → SQLite commit → outbox produced)`, value: Math.round(hostRate), unit: 'events/s' },
    { label: `appending the ${sizes.likes} likes to the memory log before the clock starts`, value: round(produceMs / 1000), unit: 's' },
  );
  if (!skipBare) {
    out.figures.push(
      { label: 'bare XState actor.send, same events, same process (best of before/after)', value: Math.round(bare), unit: 'events/s' },
      { label: 'bare XState before / after the host run', value: Math.round(bareBefore.wall), unit: `events/s / ${Math.round(bareAfter.wall)}` },
    );
  }
  out.figures.push(
    { label: `per CPU second (box-load independent): host${skipBare ? '' : ' / bare (best)'}`, value: Math.round(hostCpu), unit: skipBare ? 'events per CPU-s' : `/ ${Math.round(bareCpu)} events per CPU-s` },
    { label: 'records per committed batch, mean (posts and likes)', value: round(meanBatch, 1), unit: 'records' },
  );
  if (!skipBare) out.figures.push({ label: 'host overhead per event over bare XState', value: round(1e6 / hostRate - 1e6 / bare, 1), unit: 'µs' });
  out.figures.push({ label: `setup: ${sizes.posts} post.created through the host`, value: Math.round(sizes.posts / (postsMs / 1000)), unit: 'events/s' });
  // Without the bare runs there is nothing to divide by.
  if (skipBare) return out;
  out.ratios.push(
    { label: 'host / bare XState (wall-clock rates)', value: round(hostRate / bare, 3), min: 0.5, aim: 0.7 },
    { label: 'host / bare XState (per CPU second: what the box load does not move)', value: round(hostCpu / bareCpu, 3), min: 0.5, aim: 0.7 },
  );
  return out;
}

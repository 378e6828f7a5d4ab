/**
 * Benchmark 4, recovery, run by memoryBench.ts on the N snapshotted entities it leaves behind (one
 * post actor per key, each with one like):
 *   - restore by replay: there is no changelog topic yet, so the only way to rebuild the state is
 *     to read the input topic from offset 0 into a fresh SQLite file — which is what the memory
 *     run did; its wall time is that figure.
 *   - restart after a crash: the runtime is killed (as kill -9: nothing more written or flushed),
 *     then a new runtime opens the same SQLite file on the same broker (the memory broker plays the
 *     Kafka cluster that outlives the process). Timed: until `start()` resolved, and until the
 *     host has committed the next record, produced just after start for one of the N keys, whose
 *     actor is rehydrated lazily from its snapshot.
 * Restoring from the changelog (the disk is lost) is memoryBench.ts `changelogRecovery`.
 */
import type { Broker } from '../../src/broker/Broker.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import { type LikerSet, likerCount } from '../../actors/social/likerSet.js';
import { type BenchResult, now, round, waitUntil } from './measure.js';
import { RuntimeHarness } from './runtimeHarness.js';
import { PARTITIONS, postId } from './workload.js';

export interface RecoveryInput {
  readonly broker: Broker;
  readonly tag: string;
  /** The state directory of the killed runtime. */
  readonly dir: string;
  readonly keys: number;
  readonly maxLiveActors: number;
  /** Wall time of the run that built the state from offset 0. */
  readonly replayMs: number;
}

export async function restartAfterKill(input: RecoveryInput, out: BenchResult): Promise<void> {
  const { keys } = input;
  const restarted = new RuntimeHarness({ broker: input.broker, tag: input.tag, maxLiveActors: input.maxLiveActors, dir: input.dir, retentionMs: 0 });
  const likes = restarted.topics.likes.name;
  const probe = async (i: number) => {
    const key = postId(i);
    const partition = partitionForKey(key, PARTITIONS);
    const stored = () => (restarted.store.db.prepare('SELECT next_offset FROM kastor_offsets WHERE stage = ? AND topic = ? AND partition = ?')
      .get(restarted.stage, likes, partition) as { next_offset: number } | undefined)?.next_offset ?? 0;
    const before = stored();
    const event = { id: `probe${i}`, type: 'post.liked', key, at: '2025-06-01T13:00:00.000Z', postId: key, userId: 'user_probe' };
    const t = now();
    await restarted.producer.send([{ topic: likes, key, value: JSON.stringify(event) }]);
    await waitUntil(() => stored() > before, `the probe record for ${key}`, 60_000, 1);
    return now() - t;
  };
  const t1 = now();
  await restarted.start();
  const startMs = now() - t1;
  const probed = Math.floor(keys / 2) + 7;
  const firstProbeMs = await probe(probed);
  const nextRecordMs = now() - t1;
  const secondProbeMs = await probe(Math.floor(keys / 3) + 11);
  const snapshot = restarted.runtime.host(`bench_${input.tag}`, 'post').snapshotOf(postId(probed)) as { context: { likers: LikerSet } };
  if (likerCount(snapshot.context.likers) !== 2) throw new Error(`the probed actor has ${likerCount(snapshot.context.likers)} likers, expected 2`);
  await restarted.stop();
  await restarted.close();

  out.figures.push(
    { label: `restore by replaying the input topic from offset 0 into a fresh SQLite (${keys} records: the memory run)`, value: round(input.replayMs / 1000, 1), unit: `s (${Math.round(keys / (input.replayMs / 1000))} records/s)` },
    { label: `restart after kill with ${keys} snapshots: new runtime on the same SQLite, start() resolved`, value: round(startMs, 1), unit: 'ms' },
    { label: 'restart after kill: until the next record is committed (lazy rehydration)', value: round(nextRecordMs, 1), unit: 'ms' },
    { label: 'of which the record itself (produce → rehydrate from SQLite → commit)', value: round(firstProbeMs, 1), unit: 'ms' },
    { label: 'a second record, another cold key', value: round(secondProbeMs, 1), unit: 'ms' },
  );
  out.ratios.push({ label: 'restart → next record processed (s, target ≤ 1)', value: round(nextRecordMs / 1000, 3), max: 1 });
}

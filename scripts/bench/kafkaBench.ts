/**
 * Benchmark 2, the Kafka pipeline: the likes workload through the kafka transport against the
 * local broker, each reader catching up on the same filled topic:
 *   - raw node-rdkafka, consume and discard (the floor: what librdkafka hands to JavaScript);
 *   - Kafka Streams, `groupByKey().count()` (the JVM peer, scripts/bench/java): less work than
 *     kastor's post actor;
 *   - Kafka Streams, the fair peer (StreamsLikers): the post actor's work — the likers of each
 *     post in a state store, one like per user, the counts emitted to a topic on every change —
 *     timed until its last output is readable; at-least-once, then exactly_once_v2;
 *   - kastor: post actors, SQLite commit per batch, outbox produced back to Kafka — with its
 *     changelogs on, as `kastor run --transport kafka` runs (each changed actor's state is
 *     produced to its changelog topic too), and off.
 * Each is timed from its start (group join included) to the last record; the posts were created
 * through kastor beforehand, so kastor rehydrates its post actors from SQLite as likes arrive.
 * The peers run with BENCH_WORKERS stream threads (default 1, kastor's one event loop). Every
 * post's last emitted counts — the fair peer's runs and kastor's — are checked against the
 * workload's (workload.ts likeTruth). Topics are `*.bench_kafka<pid>.*` and
 * `kastor-bench-streams-kafka<pid>*`, deleted at the end (consumer groups stay behind).
 */
import { copyFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { createLogger } from '../../src/log/createLogger.js';
import { type BenchResult, now, profiled, result, round } from './measure.js';
import { type ConsumeTiming, type TopicContents, rawConsume, readToEnd } from './rawConsumer.js';
import { RuntimeHarness } from './runtimeHarness.js';
import { type LikersTiming, type StreamsGuarantee, type StreamsTiming, streamsCount, streamsLikers } from './streamsPeer.js';
import { type WorkloadSizes, likeEvents, likeTruth, postCreated, range, recordBatches } from './workload.js';

export const KAFKA_BROKERS = process.env.KASTOR_BENCH_BROKERS ?? '127.0.0.1:9092';

const quietLogger = createLogger({ level: 'error' });

/**
 * Calls `lost` (default: ends the process) when the broker stops answering for ~10 s — the shared
 * broker is restarted by other people's failover specs now and then: a clear failure instead of a
 * run that hangs. Returns the function that stops watching.
 */
export function brokerWatchdog(lost?: () => void, brokers = KAFKA_BROKERS): () => void {
  const [host, port] = brokers.split(',')[0].split(':');
  let failures = 0;
  const timer = setInterval(() => {
    const socket = connect({ host, port: Number(port) });
    socket.setTimeout(2_000);
    const done = (ok: boolean) => {
      socket.destroy();
      failures = ok ? 0 : failures + 1;
      if (failures === 5) {
        console.error(`[bench] the Kafka broker at ${brokers} stopped answering; giving up`);
        if (lost) lost();
        else process.exit(3);
      }
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  }, 2_000);
  timer.unref();
  return () => clearInterval(timer);
}

export function kafkaSizes(quick: boolean): WorkloadSizes {
  return quick ? { posts: 2_000, likes: 20_000, users: 1_000_000 } : { posts: 50_000, likes: 200_000, users: 1_000_000 };
}

export async function kafkaBench(quick: boolean): Promise<BenchResult> {
  const sizes = kafkaSizes(quick);
  const out = result('kafka', 'Kafka pipeline (local broker, same topic for every reader)');
  const tag = `kafka${process.pid}`;
  const broker = new KafkaBroker({ brokers: KAFKA_BROKERS, clientId: 'kastor-bench', logger: quietLogger });
  const harness = new RuntimeHarness({ broker, tag, maxLiveActors: sizes.posts });
  const second = new RuntimeHarness({ broker, tag, maxLiveActors: sizes.posts, changelogs: true });
  const stopWatchdog = brokerWatchdog();
  try {
    await harness.start();
    const { posts: postsTopic, likes: likesTopic } = harness.topics;
    console.error(`[bench] kafka: creating ${sizes.posts} posts`);
    await harness.produce(recordBatches(postsTopic.name, range(sizes.posts, postCreated), 5_000));
    await harness.caughtUp(postsTopic.name, sizes.posts, 600_000);
    await harness.stop();

    console.error(`[bench] kafka: producing ${sizes.likes} likes`);
    const tProduce = now();
    await harness.produce(recordBatches(likesTopic.name, likeEvents(sizes), 5_000));
    const produceMs = now() - tProduce;

    const truth = likeTruth(sizes);
    const threads = Number(process.env.BENCH_WORKERS ?? 1);
    const streamsId = (name: string) => `kastor-bench-streams-${tag}${name}`;

    console.error('[bench] kafka: raw node-rdkafka consumer');
    const raw = await rawConsume(KAFKA_BROKERS, likesTopic.name, sizes.likes, `kastor-bench-raw-${tag}`);
    console.error('[bench] kafka: Kafka Streams count() peer');
    const streams = await streamsCount(KAFKA_BROKERS, likesTopic.name, sizes.likes, streamsId(''), threads, 'at_least_once');
    const fair = async (guarantee: StreamsGuarantee): Promise<{ timing: LikersTiming; wrong: number; outputs: number }> => {
      console.error(`[bench] kafka: Kafka Streams fair peer, ${guarantee}`);
      const id = streamsId(`-likers-${guarantee === 'at_least_once' ? 'alo' : 'eos'}`);
      const timing = await streamsLikers({
        brokers: KAFKA_BROKERS, inputs: [likesTopic.name, harness.topics.comments.name], records: sizes.likes,
        output: `${id}.counts`, expectedOutputs: truth.changes, applicationId: id, threads, guarantee,
      });
      const emitted = await readToEnd(KAFKA_BROKERS, `${id}.counts`, `${id}-check`);
      return { timing, wrong: differences(emitted, truth.likes, `fair peer ${guarantee}`), outputs: emitted.records };
    };
    const fairAlo = await fair('at_least_once');
    const fairEos = process.env.BENCH_STREAMS_EOS === '0' ? undefined : await fair('exactly_once_v2');

    // The second kastor run starts from the same state: the posts created, no like read.
    copyFileSync(join(harness.dir, 'state.db'), join(second.dir, 'state.db'));

    console.error('[bench] kafka: kastor, changelogs on (as kastor run --transport kafka)');
    const withChangelog = await timeKastor(second, likesTopic.name, sizes.likes, 'kafka-kastor');
    console.error('[bench] kafka: kastor, changelogs off');
    const without = await timeKastor(harness, likesTopic.name, sizes.likes, 'kafka-kastor-nochangelog');
    const { ms: kastorMs, firstMs, meanBatch } = withChangelog;
    // Both kastor runs emit to the same topic from the same state: the last counts are either's.
    const kastorWrong = differences(await readToEnd(KAFKA_BROKERS, harness.topics.postsWithCounts.name, `kastor-bench-check-${tag}`), truth.likes, 'kastor');

    const rate = (ms: number) => Math.round(sizes.likes / (ms / 1000));
    const kastorRate = rate(kastorMs);
    const fairRate = rate(fairAlo.timing.elapsedMs);
    const runs: Array<[string, ConsumeTiming | undefined]> = [['raw', raw], ['count()', streams], ['fair', fairAlo.timing], ['fair EOS', fairEos?.timing]];
    const measured = runs.filter((r): r is [string, ConsumeTiming] => r[1] !== undefined);
    const each = (f: (t: ConsumeTiming) => string) => measured.map(([, t]) => f(t)).join(' / ');
    const wrongOutputs = (f: { outputs: number }) => Math.abs(f.outputs - truth.changes);
    const names = measured.map(([n]) => n).join(' / ');
    out.figures.push(
      { label: `kastor, ${sizes.likes} likes on ${sizes.posts} posts (Kafka → actor → SQLite commit → outbox and changelog produced to Kafka); ${kastorGuarantee(meanBatch)}`, value: kastorRate, unit: 'events/s' },
      { label: 'kastor with changelogs off (state in SQLite only)', value: rate(without.ms), unit: 'events/s' },
      { label: 'raw node-rdkafka consume-and-discard, same topic', value: rate(raw.elapsedMs), unit: 'events/s' },
      { label: `Kafka Streams groupByKey().count(), ${streamsGuarantee(streams)}, same topic`, value: rate(streams.elapsedMs), unit: 'events/s' },
      { label: `Kafka Streams fair peer (likers per post, counts emitted to a topic), ${streamsGuarantee(fairAlo.timing)}`, value: fairRate, unit: 'events/s' },
      ...(fairEos ? [{ label: `Kafka Streams fair peer, ${streamsGuarantee(fairEos.timing)}`, value: rate(fairEos.timing.elapsedMs), unit: 'events/s' }] : []),
      { label: `fair peer: last input processed → last output readable${fairEos ? ', at-least-once / EOS' : ''}`, value: Math.round(fairAlo.timing.elapsedMs - fairAlo.timing.processedMs), unit: fairEos ? `ms / ${Math.round(fairEos.timing.elapsedMs - fairEos.timing.processedMs)} ms` : 'ms' },
      { label: `first record after start: kastor / ${names}`, value: Math.round(firstMs), unit: `ms / ${each((t) => String(Math.round(t.firstRecordMs)))}` },
      { label: `wall time: kastor / ${names}`, value: round(kastorMs / 1000, 1), unit: `s / ${each((t) => String(round(t.elapsedMs / 1000, 1)))}` },
      { label: 'kastor: records per committed batch, mean', value: round(meanBatch, 1), unit: 'records' },
      { label: `steady rate, first record → last: kastor / ${names}`, value: rate(kastorMs - firstMs), unit: `/ ${each((t) => String(rate(t.elapsedMs - t.firstRecordMs)))} events/s` },
      { label: 'producing the likes (kastor reliable producer, acks=all, idempotent)', value: rate(produceMs), unit: 'events/s' },
      { label: `fair peer: output records (one per change: ${truth.changes} expected)${fairEos ? ', at-least-once / EOS' : ''}`, value: fairAlo.outputs, unit: fairEos ? `/ ${fairEos.outputs}` : '' },
      { label: `posts whose last emitted counts differ from the workload's (${truth.likes.size} liked posts, ${truth.changes} changes): fair peer${fairEos ? ' / EOS' : ''} / kastor`, value: fairAlo.wrong, unit: `${fairEos ? `/ ${fairEos.wrong} ` : ''}/ ${kastorWrong}` },
    );
    out.ratios.push(
      { label: 'kastor / raw node-rdkafka', value: round(kastorRate / rate(raw.elapsedMs), 3), min: 0.3 },
      { label: `kastor / Kafka Streams fair peer (same work, ${threads} thread${threads === 1 ? '' : 's'}, at-least-once)`, value: round(kastorRate / fairRate, 3), min: 1.0 },
      ...(fairEos ? [{ label: 'kastor / Kafka Streams fair peer, exactly_once_v2', value: round(kastorRate / rate(fairEos.timing.elapsedMs), 3) }] : []),
      { label: 'kastor / Kafka Streams count()', value: round(kastorRate / rate(streams.elapsedMs), 3), min: 0.5 },
      { label: 'kastor / Kafka Streams fair peer, steady rates (start-up left out)', value: round(rate(kastorMs - firstMs) / rate(fairAlo.timing.elapsedMs - fairAlo.timing.firstRecordMs), 3) },
      { label: 'kastor / Kafka Streams count(), steady rates (start-up left out)', value: round(rate(kastorMs - firstMs) / rate(streams.elapsedMs - streams.firstRecordMs), 3) },
      { label: 'check: posts with wrong last counts (fair peers, kastor) + fair peers\' outputs ≠ changes', value: fairAlo.wrong + (fairEos?.wrong ?? 0) + kastorWrong + wrongOutputs(fairAlo) + (fairEos ? wrongOutputs(fairEos) : 0), max: 0 },
    );
    out.notes.push(
      `Kafka Streams peers: ${threads} stream thread${threads === 1 ? '' : 's'} (BENCH_WORKERS; kastor runs one event loop), RocksDB + record cache, changelogged stores, defaults otherwise; the count() peer is timed to its N-th input record, its state not committed then; the fair peer to its last output readable on its topic (read_committed), as kastor is timed to its outbox produced.`,
      `Checked against the workload: the fair peer's last counts per post ${fairAlo.wrong + (fairEos?.wrong ?? 0) === 0 ? 'are right' : 'are WRONG'}, one output per change ${wrongOutputs(fairAlo) + (fairEos ? wrongOutputs(fairEos) : 0) === 0 ? 'holds' : 'does NOT hold'}; kastor's last counts ${kastorWrong === 0 ? 'are right' : 'are WRONG'}.`,
    );
  } finally {
    stopWatchdog();
    await harness.close().catch(() => undefined);
    const mine = (await broker.admin.listTopics()).map((t) => t.name).filter((n) => n.includes(`bench_${tag}`) || n.startsWith(`kastor-bench-streams-${tag}-`));
    await broker.admin.deleteTopics(mine).catch((e) => console.error(`[bench] could not delete topics ${mine.join(', ')}: ${e}`));
    await broker.close();
    harness.remove();
    second.remove();
  }
  return out;
}

/** kastor's guarantee, to print beside its figure (SPEC §1). */
function kastorGuarantee(meanBatch: number): string {
  return `state exactly once per record, outputs at-least-once; committed per batch group (${Math.round(meanBatch)} records on average), no interval`;
}

function streamsGuarantee(t: StreamsTiming): string {
  const guarantee = t.guarantee === 'at_least_once' ? 'at-least-once' : t.guarantee;
  return `${guarantee}, commit.interval.ms ${t.commitIntervalMs}, ${t.threads} thread${t.threads === 1 ? '' : 's'}`;
}

/**
 * Posts whose last emitted `likes` differ from the workload's (a post never emitted counts as 0
 * likes); logs the first few.
 */
function differences(emitted: TopicContents, likes: ReadonlyMap<string, number>, who: string): number {
  const keys = new Set([...likes.keys(), ...emitted.latest.keys()]);
  const wrong: string[] = [];
  for (const key of keys) {
    const value = emitted.latest.get(key);
    const got = value === undefined ? 0 : (JSON.parse(value) as { likes: number }).likes;
    const want = likes.get(key) ?? 0;
    if (got !== want) wrong.push(`${key}: ${got}, not ${want}`);
  }
  if (wrong.length > 0) console.error(`[bench] kafka: ${who}: ${wrong.length} posts with wrong last counts, e.g. ${wrong.slice(0, 5).join('; ')}`);
  return wrong.length;
}

/** Starts a harness on its state and times it through `records` of `topic`, from start (group join included). */
async function timeKastor(harness: RuntimeHarness, topic: string, records: number, profile: string): Promise<{ ms: number; firstMs: number; meanBatch: number }> {
  const t0 = now();
  await harness.start();
  let firstMs = NaN;
  void (async () => {
    while (Number.isNaN(firstMs) && now() - t0 < 600_000) {
      if (harness.consumed(topic) > 0) firstMs = now() - t0;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await profiled(profile, () => harness.caughtUp(topic, records, 1_800_000));
  const ms = now() - t0;
  const meanBatch = harness.meanBatch();
  await harness.stop();
  return { ms, firstMs, meanBatch };
}

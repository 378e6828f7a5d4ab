/**
 * Benchmark 2, the Kafka pipeline: the likes workload through the kafka transport against the
 * local broker, each reader catching up on the same filled topic:
 *   - raw node-rdkafka, consume and discard (the floor: what librdkafka hands to JavaScript);
 *   - Kafka Streams, `groupByKey().count()`, at-least-once (the JVM peer, scripts/bench/java);
 *   - kastor: post actors, SQLite commit per batch, outbox produced back to Kafka — with its
 *     changelogs on, as `kastor run --transport kafka` runs (each changed actor's state is
 *     produced to its changelog topic too), and off.
 * Each is timed from its start (group join included) to the last record; the posts were created
 * through kastor beforehand, so kastor rehydrates its post actors from SQLite as likes arrive.
 * Topics are `*.bench_kafka<pid>.*` and are deleted at the end (consumer groups stay behind).
 */
import { copyFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { createLogger } from '../../src/log/createLogger.js';
import { type BenchResult, now, profiled, result, round } from './measure.js';
import { rawConsume } from './rawConsumer.js';
import { RuntimeHarness } from './runtimeHarness.js';
import { streamsCount } from './streamsPeer.js';
import { type WorkloadSizes, likeEvents, postCreated, range, recordBatches } from './workload.js';

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

    console.error('[bench] kafka: raw node-rdkafka consumer');
    const raw = await rawConsume(KAFKA_BROKERS, likesTopic.name, sizes.likes, `kastor-bench-raw-${tag}`);
    console.error('[bench] kafka: Kafka Streams peer');
    const streams = await streamsCount(KAFKA_BROKERS, likesTopic.name, sizes.likes, `kastor-bench-streams-${tag}`);

    // The second kastor run starts from the same state: the posts created, no like read.
    copyFileSync(join(harness.dir, 'state.db'), join(second.dir, 'state.db'));

    console.error('[bench] kafka: kastor, changelogs on (as kastor run --transport kafka)');
    const withChangelog = await timeKastor(second, likesTopic.name, sizes.likes, 'kafka-kastor');
    console.error('[bench] kafka: kastor, changelogs off');
    const without = await timeKastor(harness, likesTopic.name, sizes.likes, 'kafka-kastor-nochangelog');
    const { ms: kastorMs, firstMs, meanBatch } = withChangelog;

    const rate = (ms: number) => Math.round(sizes.likes / (ms / 1000));
    const kastorRate = rate(kastorMs);
    out.figures.push(
      { label: `kastor, ${sizes.likes} likes on ${sizes.posts} posts (Kafka → actor → SQLite commit → outbox and changelog produced to Kafka)`, value: kastorRate, unit: 'events/s' },
      { label: 'kastor with changelogs off (state in SQLite only)', value: rate(without.ms), unit: 'events/s' },
      { label: 'raw node-rdkafka consume-and-discard, same topic', value: rate(raw.elapsedMs), unit: 'events/s' },
      { label: 'Kafka Streams groupByKey().count(), at-least-once, same topic', value: rate(streams.elapsedMs), unit: 'events/s' },
      { label: 'first record after start: kastor / raw / Streams', value: Math.round(firstMs), unit: `ms / ${Math.round(raw.firstRecordMs)} / ${Math.round(streams.firstRecordMs)}` },
      { label: 'wall time: kastor / raw / Streams', value: round(kastorMs / 1000, 1), unit: `s / ${round(raw.elapsedMs / 1000, 1)} / ${round(streams.elapsedMs / 1000, 1)}` },
      { label: 'kastor: records per committed batch, mean', value: round(meanBatch, 1), unit: 'records' },
      { label: 'steady rate, first record → last: kastor / raw / Streams', value: rate(kastorMs - firstMs), unit: `/ ${rate(raw.elapsedMs - raw.firstRecordMs)} / ${rate(streams.elapsedMs - streams.firstRecordMs)} events/s` },
      { label: 'producing the likes (kastor reliable producer, acks=all, idempotent)', value: rate(produceMs), unit: 'events/s' },
    );
    out.ratios.push(
      { label: 'kastor / raw node-rdkafka', value: round(kastorRate / rate(raw.elapsedMs), 3), min: 0.5 },
      { label: 'kastor / Kafka Streams', value: round(kastorRate / rate(streams.elapsedMs), 3), min: 1.0 },
      { label: 'kastor / Kafka Streams, steady rates (start-up left out)', value: round(rate(kastorMs - firstMs) / rate(streams.elapsedMs - streams.firstRecordMs), 3) },
    );
    out.notes.push('Kafka Streams with its defaults: 1 stream thread, RocksDB + record cache, commit.interval.ms 30 s (its state is not committed when it reaches N; kastor\'s is, per batch).');
  } finally {
    stopWatchdog();
    await harness.close().catch(() => undefined);
    const mine = (await broker.admin.listTopics()).map((t) => t.name).filter((n) => n.includes(`bench_${tag}`) || n.startsWith(`kastor-bench-streams-${tag}`));
    await broker.admin.deleteTopics(mine).catch((e) => console.error(`[bench] could not delete topics ${mine.join(', ')}: ${e}`));
    await broker.close();
    harness.remove();
    second.remove();
  }
  return out;
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

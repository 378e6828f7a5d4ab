/**
 * Runs the Kafka Streams peers (scripts/bench/java) against the same topic and broker as kastor:
 *   - `StreamsCount`, `groupByKey().count()`: less work than kastor's post actor;
 *   - `StreamsLikers`, the fair peer: the post actor's work — the likers of each post in a state
 *     store, one like per user, `{postId, likes, comments}` emitted to an output topic on every
 *     change — timed until its last output is readable on that topic.
 * The jar is built with Maven when missing or older than its sources
 * (`mvn -q -f scripts/bench/java/pom.xml package`, into the git-ignored scripts/bench/java/target)
 * and runs on the broker's classpath (.kafka/libs/*, Kafka 4.1.2 with kafka-streams).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsumeTiming } from './rawConsumer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const JAVA = join(ROOT, 'scripts/bench/java');
const POM = join(JAVA, 'pom.xml');
const SOURCES = join(JAVA, 'src/main/java/dev/kastor/bench');
const JAR = join(JAVA, 'target/kastor-bench-streams.jar');
const LIBS = join(ROOT, '.kafka/libs');
const LOG4J = join(ROOT, '.kafka/log4j2-tools.properties');

/** Kafka Streams' processing.guarantee values the peers run with. */
export type StreamsGuarantee = 'at_least_once' | 'exactly_once_v2';

/** How a peer ran: what it reports next to its figure. */
export interface StreamsTiming extends ConsumeTiming {
  readonly guarantee: StreamsGuarantee;
  /** commit.interval.ms in effect (Kafka Streams' default for the guarantee). */
  readonly commitIntervalMs: number;
  readonly threads: number;
}

export interface LikersTiming extends StreamsTiming {
  /** From start() until the N-th input record went through the processor (outputs handed to the producer). */
  readonly processedMs: number;
  /** Output records seen on the output topic when the peer stopped. */
  readonly outputs: number;
  /** Input records that were not events (none in the bench). */
  readonly skipped: number;
}

export function buildStreamsPeer(): void {
  const sources = [POM, ...readdirSync(SOURCES).map((f) => join(SOURCES, f))];
  const stale = !existsSync(JAR) || sources.some((f) => statSync(f).mtimeMs > statSync(JAR).mtimeMs);
  if (!stale) return;
  console.error('[bench] building the Kafka Streams peers: mvn -q -f scripts/bench/java/pom.xml package');
  execFileSync('mvn', ['-q', '-B', '-f', POM, 'package'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** `groupByKey().count()` over `topic` until it has seen `records`. */
export async function streamsCount(brokers: string, topic: string, records: number, applicationId: string, threads = 1, guarantee: StreamsGuarantee = 'at_least_once'): Promise<StreamsTiming> {
  return runPeer<StreamsTiming>('StreamsCount', (stateDir) => [brokers, topic, String(records), applicationId, stateDir, String(threads), guarantee]);
}

export interface LikersRun {
  readonly brokers: string;
  /** The topics the post actor reads likes, unlikes and comments from (keyed by post id). */
  readonly inputs: readonly string[];
  /** Input records to process. */
  readonly records: number;
  /** Where the counts go; created with the first input's partitions if missing. */
  readonly output: string;
  /** The changes the input makes: the peer is timed until this many outputs are readable. */
  readonly expectedOutputs: number;
  readonly applicationId: string;
  readonly threads: number;
  readonly guarantee: StreamsGuarantee;
}

/** The fair peer: the post actor's work, timed from start() to its last output on `output`. */
export async function streamsLikers(run: LikersRun): Promise<LikersTiming> {
  return runPeer<LikersTiming>('StreamsLikers', (stateDir) => [
    run.brokers, run.inputs.join(','), String(run.records), run.output, String(run.expectedOutputs),
    run.applicationId, stateDir, String(run.threads), run.guarantee,
  ]);
}

/** Runs `dev.kastor.bench.<main>` with a fresh state directory and returns its STREAMS_RESULT line. */
async function runPeer<T>(main: string, args: (stateDir: string) => string[]): Promise<T> {
  buildStreamsPeer();
  if (!existsSync(LIBS)) throw new Error('no .kafka/libs: run `bash scripts/kafka.sh install` (or start)');
  const stateDir = mkdtempSync(join(tmpdir(), 'kastor-bench-streams-'));
  const layout = process.env.BENCH_STREAMS_LAYOUT ? [`-Dkastor.layout=${process.env.BENCH_STREAMS_LAYOUT}`] : [];
  const jvm = [
    '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${LOG4J}`, ...layout,
    '-cp', `${JAR}:${LIBS}/*`, `dev.kastor.bench.${main}`, ...args(stateDir),
  ];
  try {
    // Kafka Streams' log (WARN and up) is shown when the peer fails, not on every run.
    const out = await new Promise<string>((resolveRun, reject) => {
      const child = spawn('java', jvm, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-64_000)));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0) return resolveRun(stdout);
        process.stderr.write(stderr);
        reject(new Error(`${main} exited with ${code}`));
      });
    });
    const line = /STREAMS_RESULT (\{.*\})/.exec(out);
    if (!line) throw new Error(`${main} printed no result: ${out}`);
    return JSON.parse(line[1]) as T;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

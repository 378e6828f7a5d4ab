/**
 * Runs the Kafka Streams peer (scripts/bench/java, `groupByKey().count()`) against the same topic
 * and broker as kastor. The jar is built with Maven when missing or older than its sources
 * (`mvn -q -f scripts/bench/java/pom.xml package`, into the git-ignored .kafka/bench-java) and
 * runs on the broker's classpath (.kafka/libs/*, Kafka 4.1.2 with kafka-streams).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConsumeTiming } from './rawConsumer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const POM = join(ROOT, 'scripts/bench/java/pom.xml');
const SOURCE = join(ROOT, 'scripts/bench/java/src/main/java/dev/kastor/bench/StreamsCount.java');
const JAR = join(ROOT, '.kafka/bench-java/kastor-bench-streams.jar');
const LIBS = join(ROOT, '.kafka/libs');
const LOG4J = join(ROOT, '.kafka/log4j2-tools.properties');

export function buildStreamsPeer(): void {
  const stale = !existsSync(JAR) || [POM, SOURCE].some((f) => statSync(f).mtimeMs > statSync(JAR).mtimeMs);
  if (!stale) return;
  console.error('[bench] building the Kafka Streams peer: mvn -q -f scripts/bench/java/pom.xml package');
  execFileSync('mvn', ['-q', '-B', '-f', POM, 'package'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export async function streamsCount(brokers: string, topic: string, records: number, applicationId: string): Promise<ConsumeTiming> {
  buildStreamsPeer();
  if (!existsSync(LIBS)) throw new Error('no .kafka/libs: run `bash scripts/kafka.sh install` (or start)');
  const stateDir = mkdtempSync(join(tmpdir(), 'kastor-bench-streams-'));
  const args = [
    '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${LOG4J}`,
    '-cp', `${JAR}:${LIBS}/*`, 'dev.kastor.bench.StreamsCount', brokers, topic, String(records), applicationId, stateDir,
  ];
  try {
    const out = await new Promise<string>((resolveRun, reject) => {
      const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolveRun(stdout) : reject(new Error(`StreamsCount exited with ${code}`))));
    });
    const line = /STREAMS_RESULT (\{.*\})/.exec(out);
    if (!line) throw new Error(`StreamsCount printed no result: ${out}`);
    return JSON.parse(line[1]) as ConsumeTiming;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

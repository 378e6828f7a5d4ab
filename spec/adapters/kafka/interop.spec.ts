/**
 * Interoperability with Kafka's own Java clients, through the console tools of the local broker
 * (`scripts/kafka.sh console-producer | console-consumer`): a keyed record the Java producer
 * writes lands where `partitionForKey` says and reads back through our consumer; a record our
 * producer writes reads back through the Java consumer on the partition Java would pick.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { partitionForKey } from '../../../src/broker/murmur2.js';
import { GroupReader } from '../../support/GroupReader.js';
import { describeKafka, kafkaBrokers } from '../../support/kafka.js';
import { waitFor } from '../../support/waitFor.js';
import { KafkaFixture, unique, WAIT_MS } from './fixture.js';
import { skipFor } from '../../support/skipTally.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const SCRIPT = path.join(REPO, 'scripts/kafka.sh');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `scripts/kafka.sh ARGS` with `input` on stdin; bounded by `timeoutMs`. */
function kafkaTool(args: string[], input: string, timeoutMs = 60_000): Promise<Run> {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scripts/kafka.sh ${args[0]} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describeKafka('kafka adapter: interop with the Java clients', function () {
  this.timeout(120_000);
  let fx: KafkaFixture;

  before(function () {
    if (!existsSync(path.join(REPO, '.kafka/libs'))) {
      // The console tools come with the local broker's jars (`npm run kafka:start` installs them);
      // CI installs them, so there a missing jar is a failure, not a skip.
      if (process.env.CI) throw new Error('CI is set but .kafka/libs holds no Kafka jars: the interop specs must run on CI');
      skipFor(this, 'Kafka interop', 'no Kafka jars in .kafka/libs; run `npm run kafka:start`');
    }
  });
  beforeEach(() => (fx = new KafkaFixture()));
  afterEach(() => fx.teardown());

  it("puts a keyed record from Java's console producer on partitionForKey(key), and our consumer reads it", async () => {
    const partitions = 7;
    const t = await fx.topic('from-java', partitions);
    const keys = Array.from({ length: 25 }, (_, i) => `user_${i * 37}`);
    const lines = keys.map((k, i) => `${k}:{"type":"post.liked","n":${i}}`).join('\n') + '\n';
    const run = await kafkaTool(
      [
        'console-producer',
        '--bootstrap-server',
        kafkaBrokers(),
        '--topic',
        t,
        '--property',
        'parse.key=true',
        '--property',
        'key.separator=:',
      ],
      lines,
    );
    expect(run.code, run.stderr).to.equal(0);

    const reader = new GroupReader(fx.broker().consumer({ groupId: unique('group'), topics: [t] }));
    await waitFor(() => reader.records.length === keys.length, {
      timeoutMs: WAIT_MS,
      message: () => `${keys.length} records from Java, got ${reader.records.length}`,
    });
    for (const r of reader.records) {
      expect(r.partition, r.key!).to.equal(partitionForKey(r.key!, partitions));
      const n = (JSON.parse(r.value!) as { n: number }).n;
      expect(r.key).to.equal(keys[n]);
    }
    expect(reader.errors).to.deep.equal([]);
    await reader.close();
  });

  it("writes records Java's console consumer reads back, keyed records on Java's partition", async () => {
    const partitions = 5;
    const t = await fx.topic('to-java', partitions);
    const records = Array.from({ length: 12 }, (_, i) => ({
      topic: t,
      key: `taxi_${i * 11}`,
      value: JSON.stringify({ type: 'taxi.moved', n: i }),
      headers: { source: 'kastor' },
    }));
    const sent = await fx.broker().producer().send(records);
    const run = await kafkaTool(
      [
        'console-consumer',
        '--bootstrap-server',
        kafkaBrokers(),
        '--topic',
        t,
        '--from-beginning',
        '--max-messages',
        String(records.length),
        '--timeout-ms',
        '30000',
        '--property',
        'print.key=true',
        '--property',
        'print.partition=true',
        '--property',
        'print.headers=true',
        '--property',
        'key.separator=|',
      ],
      '',
    );
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('Partition:'));
    expect(lines, run.stdout).to.have.length(records.length);
    const read = new Map<string, { partition: number; value: string; headers: string }>();
    for (const line of lines) {
      // Partition:N|headers|key|value (the formatter's order; the separator is key.separator)
      const [partitionField, headers, key, ...value] = line.split('|');
      read.set(key, { partition: Number(partitionField.slice('Partition:'.length)), value: value.join('|'), headers });
    }
    records.forEach((r, i) => {
      const got = read.get(r.key);
      expect(got, r.key).to.not.equal(undefined);
      expect(got!.partition, r.key).to.equal(partitionForKey(r.key, partitions));
      expect(got!.partition).to.equal(sent[i].partition);
      expect(got!.value).to.equal(r.value);
      expect(got!.headers).to.equal('source:kastor');
    });
  });
});

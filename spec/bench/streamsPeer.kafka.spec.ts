/**
 * The fair Kafka Streams peer of benchmark 2 (scripts/bench/java StreamsLikers) does the post
 * actor's work: one like per user, an unlike removes a liker (and an unlike by a non-liker changes
 * nothing), comments count, a record that is not an event changes nothing, and every change — only
 * a change — emits the post's counts. The bench checks its last counts against the workload, which
 * holds likes only; this spec drives the other paths, on a real broker, with the jar the bench
 * runs (built with Maven if missing). Topics live under a unique name and are deleted afterwards.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { readToEnd } from '../../scripts/bench/rawConsumer.js';
import { streamsLikers } from '../../scripts/bench/streamsPeer.js';
import { describeKafka, kafkaBrokers, recordingKafkaLogger } from '../support/kafka.js';
import { skipFor } from '../support/skipTally.js';

const has = (command: string): boolean => {
  try {
    execFileSync(command, ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describeKafka('the fair Kafka Streams peer (bench 2)', function () {
  this.timeout(240_000);
  const id = `kastor-bench-streams-spec${randomBytes(4).toString('hex')}`;
  const likes = `${id}.likes`;
  const comments = `${id}.comments`;
  const output = `${id}.counts`;
  let broker: KafkaBroker;

  before(function () {
    if (!has('java') || !has('mvn')) skipFor(this, 'Java', 'no java or mvn on the PATH: the Kafka Streams peer cannot be built');
    broker = new KafkaBroker({ brokers: kafkaBrokers(), clientId: 'streams-peer-spec', logger: recordingKafkaLogger() });
  });
  after(async () => {
    if (!broker) return;
    const mine = (await broker.admin.listTopics()).map((t) => t.name).filter((n) => n.startsWith(`${id}.`) || n.startsWith(`${id}-`));
    await broker.admin.deleteTopics(mine).catch(() => undefined);
    await broker.close();
  });

  it('emits the counts on every change and only then, and ends with the right counts', async () => {
    await broker.admin.createTopics([likes, comments].map((name) => ({ name, partitions: 3, replicationFactor: 1 })));
    const event = (type: string, postId: string, userId: string) => JSON.stringify({ id: randomBytes(4).toString('hex'), type, key: postId, at: '2026-01-01T12:00:00.000Z', postId, userId });
    const inputs = [
      { topic: likes, key: 'p1', value: event('post.liked', 'p1', 'u1') },
      { topic: likes, key: 'p1', value: event('post.liked', 'p1', 'u2') },
      { topic: likes, key: 'p1', value: event('post.liked', 'p1', 'u1') }, // a repeat: nothing
      { topic: likes, key: 'p1', value: event('post.unliked', 'p1', 'u2') },
      { topic: likes, key: 'p1', value: event('post.unliked', 'p1', 'u3') }, // never liked: nothing
      { topic: likes, key: 'p1', value: 'not an event' }, // nothing
      { topic: likes, key: 'p2', value: event('post.liked', 'p2', 'u1') },
      { topic: likes, key: 'p2', value: event('post.unliked', 'p2', 'u1') },
      { topic: likes, key: 'p2', value: event('post.liked', 'p2', 'u1') }, // liked again after the unlike
      { topic: comments, key: 'p3', value: event('post.commented', 'p3', 'u9') },
      { topic: comments, key: 'p3', value: event('post.commented', 'p3', 'u9') },
    ];
    const producer = broker.producer({ profile: 'reliable', clientId: 'streams-peer-spec' });
    await producer.send(inputs);
    await producer.close();

    const timing = await streamsLikers({
      brokers: kafkaBrokers(), inputs: [likes, comments], records: inputs.length, output, expectedOutputs: 8,
      applicationId: id, threads: 1, guarantee: 'at_least_once',
    });
    expect(timing.skipped).to.equal(1);

    const seen = new Map<string, Array<[number, number]>>();
    const read = await readToEnd(kafkaBrokers(), output, `${id}-check`, (key, value) => {
      const counts = JSON.parse(value) as { postId: string; likes: number; comments: number };
      expect(counts.postId).to.equal(key);
      seen.set(key, [...(seen.get(key) ?? []), [counts.likes, counts.comments]]);
    });
    expect(read.records).to.equal(8);
    expect(Object.fromEntries(seen)).to.deep.equal({
      p1: [[1, 0], [2, 0], [1, 0]],
      p2: [[1, 0], [0, 0], [1, 0]],
      p3: [[0, 1], [0, 2]],
    });
  });
});

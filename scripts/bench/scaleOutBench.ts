/**
 * Scale-out (issue 16): how long the partitions of an instance that goes are unavailable. Two
 * instances of `kastor run social --transport kafka` (child processes, a data directory each, every
 * stage starting at the topics' end) share the post actor's partitions; instance Y is stopped —
 * drained with SIGTERM, then, in a second round, ended with SIGKILL as a crash ends it — and a like
 * is produced every 100 ms on a post whose partition Y held. The figure is the time from the signal
 * to the first of those likes counted in the survivor's read model: the rebalance (after a crash,
 * once the group's session times out: `session.timeout.ms` 10 s), the survivor's catch-up from the
 * changelog, and the path to its read model. No peer: Kafka Streams' figure would need the same
 * harness in Java; the warm-standby figure waits for `--standbys` (not built).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBroker } from '../../adapters/kafka/index.js';
import { SqliteSocialReadModel } from '../../adapters/sqlite/SqliteSocialReadModel.js';
import { openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { socialTopics } from '../../config/social.js';
import { socialApp } from '../../src/apps/social/socialApp.js';
import { partitionForKey } from '../../src/broker/murmur2.js';
import { type KastorChild, startAtTheEnd, startKastor, stopKastor } from '../../spec/support/childProcess.js';
import { KAFKA_BROKERS } from './kafkaBench.js';
import { type BenchResult, now, result, sleep, waitUntil } from './measure.js';

const quiet = { error() {}, warn() {}, info() {} };
const at = () => new Date().toISOString();

interface Readyz {
  readonly stages: Record<string, { assigned: Record<string, number[]> }>;
}

async function likesHeld(child: KastorChild): Promise<number[]> {
  const body = (await (await fetch(`${child.base}/readyz`)).json()) as Readyz;
  return body.stages['social.post']?.assigned[socialTopics.likes.name] ?? [];
}

/** One round: the time from stopping Y with `signal` to a like on Y's partition counted by X. */
async function takeover(broker: KafkaBroker, signal: NodeJS.Signals, tag: string): Promise<number> {
  const dirs: string[] = [];
  const children: KastorChild[] = [];
  const instance = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kastor-bench-scale-out-'));
    dirs.push(dir);
    const memory = openDatabase(':memory:');
    await startAtTheEnd(dir, socialApp(new SqliteSocialReadModel(memory)), broker.admin);
    memory.close();
    const child = await startKastor({
      dataDir: dir, timeoutMs: 60_000, env: { UV_THREADPOOL_SIZE: '16' },
      args: ['social', '--transport', 'kafka', '--brokers', KAFKA_BROKERS, '--workers', '1'],
    });
    children.push(child);
    return { child, dir };
  };
  try {
    const x = await instance();
    const y = await instance();
    await waitUntil(async () => (await likesHeld(x.child)).length > 0 && (await likesHeld(y.child)).length > 0, 'both instances hold likes partitions', 60_000, 200);
    const yHolds = new Set(await likesHeld(y.child));
    const posts = Array.from({ length: 30 }, (_, i) => `post_${tag}_${i}`);
    const post = posts.find((p) => yHolds.has(partitionForKey(p, socialTopics.likes.partitions)))!;
    const producer = broker.producer({ profile: 'reliable', clientId: 'bench-scale-out' });
    await producer.send(posts.map((postId, i) => ({
      topic: socialTopics.posts.name, key: 'alice',
      value: JSON.stringify({ id: `${tag}c${i}`, type: 'post.created', key: 'alice', at: at(), postId, userId: 'alice', text: 'takeover', links: [], media: [], hashtags: [] }),
    })));
    const db = new Database(join(x.dir, 'state.db'), { readonly: true });
    const likes = db.prepare('SELECT likes FROM social_posts WHERE post_id = ?').pluck();
    try {
      await waitUntil(() => likes.get(post) !== undefined, `${post} in X's read model`, 60_000, 20);
      const t0 = now();
      y.child.proc.kill(signal);
      let n = 0;
      for (;;) {
        await producer.send([{
          topic: socialTopics.likes.name, key: post,
          value: JSON.stringify({ id: `${tag}l${n}`, type: 'post.liked', key: post, at: at(), postId: post, userId: `u${n}` }),
        }]);
        n++;
        for (let i = 0; i < 10; i++) {
          if (((likes.get(post) as number | undefined) ?? 0) > 0) return now() - t0;
          await sleep(10);
        }
        if (now() - t0 > 120_000) throw new Error(`no like on ${post} counted by X within 120 s of ${signal} to Y`);
      }
    } finally {
      db.close();
      await producer.close();
    }
  } finally {
    await Promise.all(children.map((c) => stopKastor(c, 'SIGKILL')));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export async function scaleOutBench(_quick: boolean): Promise<BenchResult> {
  const out = result('scaleout', 'two instances of kastor run social on Kafka: takeover of a stopped one\'s partitions');
  const broker = new KafkaBroker({ brokers: KAFKA_BROKERS, clientId: 'bench-scale-out', logger: quiet });
  try {
    const tag = `so${process.pid}`;
    const drained = await takeover(broker, 'SIGTERM', `${tag}t`);
    const killed = await takeover(broker, 'SIGKILL', `${tag}k`);
    out.figures.push(
      { label: 'takeover after SIGTERM (a drain: the member leaves the group at once)', value: Math.round(drained), unit: 'ms' },
      { label: 'takeover after kill -9 (session.timeout.ms 10 s first)', value: Math.round(killed), unit: 'ms' },
    );
    out.notes.push('from the signal to the first like on a partition the stopped instance held counted in the survivor\'s read model; no warm standby (--standbys is not built)');
  } finally {
    await broker.close();
  }
  return out;
}

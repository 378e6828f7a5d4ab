import { expect } from 'chai';
import { COMMIT_STEPS, SimulatedCrash, type CommitStep } from '../../src/host/CommitStep.js';
import { socialTopics } from '../../config/social.js';
import { SocialFixture, type SocialProcess } from '../support/socialFixture.js';
import { settle } from '../support/settle.js';
import { waitFor } from '../support/waitFor.js';
import { tpKey } from '../../src/broker/Record.js';
import { at, workload } from '../support/socialWorkload.js';

async function expectOutcome(p: SocialProcess, expected: ReturnType<typeof workload>['expected']) {
  for (const [postId, e] of expected) {
    const view = p.readModel.post(postId);
    expect(view, postId).to.not.equal(undefined);
    expect({ postId, likes: view!.likes, comments: view!.comments }).to.deep.equal({ postId, likes: e.likers.size, comments: e.comments });
  }
}

describe('commit protocol', function () {
  this.timeout(60_000);

  it('processes a workload exactly once without faults', async () => {
    const f = new SocialFixture();
    const p = await f.start();
    const { events, expected } = workload();
    for (const [topic, key, event] of events) await f.produce(topic, key, event);
    await settle(p.runtime, f.broker, p.store);
    await expectOutcome(p, expected);
    await f.cleanup(p);
  });

  for (const step of COMMIT_STEPS) {
    for (const occurrence of [1, 2, 4]) {
      it(`loses nothing and counts nothing twice when the host dies after '${step}' (occurrence ${occurrence})`, async () => {
        const f = new SocialFixture();
        let hits = 0;
        const faults = (s: CommitStep, stage: string) => {
          if (s === step && stage === 'social.post' && ++hits === occurrence) throw new SimulatedCrash(s);
        };
        // Small batches: the post stage commits in many rounds, so a 4th occurrence of every step
        // comes while work is still left (group commit would otherwise take it in two or three).
        const first = await f.start({ faults, maxBatchSize: 4 });
        const { events, expected } = workload();
        for (const [topic, key, event] of events) await f.produce(topic, key, event);
        const postRunner = first.runtime.stageRunners.find((r) => r.stage.name === 'social.post')!;
        await Promise.race([postRunner.crashed, waitFor(() => hits >= occurrence, { timeoutMs: 20_000 })]);
        await postRunner.crashed;
        // The rest of the "process" dies with it, without another write.
        await first.runtime.kill();
        first.store.close();

        const second = await f.start();
        await settle(second.runtime, f.broker, second.store);
        await expectOutcome(second, expected);
        await f.cleanup(second);
      });
    }
  }

  it('re-sends outbox rows that were stored but not produced, under the same ids', async () => {
    const f = new SocialFixture();
    const first = await f.start({ faults: (s, stage) => { if (s === 'stored' && stage === 'social.post') throw new SimulatedCrash(s); } });
    await f.produce('posts', 'alice', { id: 'p1', type: 'post.created', key: 'alice', at: at(1), postId: 'post_x', userId: 'alice', text: 'x' });
    const runner = first.runtime.stageRunners.find((r) => r.stage.name === 'social.post')!;
    await runner.crashed;
    await first.runtime.kill();
    const pending = first.store.stage('social.post').pendingOutbox();
    expect(pending).to.have.length(1);
    const id = JSON.parse(pending[0].value!).id;
    first.store.close();

    const second = await f.start();
    await settle(second.runtime, f.broker, second.store);
    expect(second.store.stage('social.post').pendingOutbox()).to.have.length(0);
    const tp = { topic: socialTopics.postsWithCounts.name, partition: 0 };
    const ids: string[] = [];
    const desc = await f.broker.admin.describeTopic(tp.topic);
    const consumer = f.broker.consumer({ groupId: 'spec-reader', topics: [tp.topic] });
    const sub = consumer.assignments.subscribe((ap) => ap.batches({ offset: 0 }).subscribe((b) => {
      for (const r of b.records) ids.push(JSON.parse(r.value!).id);
      b.ack();
    }));
    await waitFor(() => ids.length >= 1);
    expect(ids).to.include(id);
    expect(desc!.partitions).to.equal(30);
    sub.unsubscribe();
    await consumer.close();
    void tpKey;
    await f.cleanup(second);
  });
});

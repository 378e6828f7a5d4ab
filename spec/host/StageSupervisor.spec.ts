/**
 * One-for-one supervision of stages (SPEC §1): a stage whose pipeline keeps failing is restarted
 * with backoff while the other stages of the runtime keep consuming and committing; once the policy
 * is exhausted the runtime reports one unrecoverable fault.
 *
 * The poison: an audit stage writes its rows into a table that was never created (a migration that
 * did not run). Its store transaction fails on every attempt with an error no record caused — not a
 * RecordFailed — so the dead-letter path cannot help: the runner cannot name a record to skip, and
 * dead-lettering every record would throw away the whole stream for a fault of the deployment, not
 * of the data. Restarting is all that can be done; if that does not heal it, the process must end.
 */
import { expect } from 'chai';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore } from '../../adapters/sqlite/SqliteStateStore.js';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { Runtime } from '../../src/host/Runtime.js';
import type { Stage } from '../../src/host/Stage.js';
import type { StateStore } from '../../src/store/StateStore.js';
import { StageGaveUp, type SupervisionPolicy } from '../../src/host/StageSupervisor.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import { createLogger } from '../../src/log/createLogger.js';
import { Metrics } from '../../src/metrics/Metrics.js';
import { auditTrailStage as auditTrail } from '../support/auditTrailStage.js';
import { counterApp, counterTopics } from '../support/counterApp.js';

const POLICY: SupervisionPolicy = { maxRestarts: 4, windowMs: 60_000, initialBackoffMs: 100, maxBackoffMs: 400 };
const STEP_MS = 10;


/** A store whose transactions for one stage fail the first `times` times (a disk I/O error). */
function flakyStore(inner: StateStore, stage: string, times: number): StateStore {
  let failures = 0;
  return {
    close: () => inner.close(),
    stage: (name) => {
      const s = inner.stage(name);
      if (name !== stage) return s;
      return {
        stage: s.stage,
        loadSnapshot: (key) => s.loadSnapshot(key),
        keysWithPrefix: (prefix, limit) => s.keysWithPrefix(prefix, limit),
        offsets: (tps) => s.offsets(tps),
        commit: (batch, extra) => {
          if (failures++ < times) throw new Error('SQLITE_IOERR: disk I/O error');
          return s.commit(batch, extra);
        },
        pendingOutbox: (limit) => s.pendingOutbox(limit),
        deleteOutbox: (seqs) => s.deleteOutbox(seqs),
        deleteSnapshot: (key) => s.deleteSnapshot(key),
        dueTimers: (limit) => s.dueTimers(limit),
      };
    },
  };
}

async function supervisedRuntime(options: { stages?: Stage[]; store?: (inner: StateStore) => StateStore } = {}) {
  const clock = new VirtualClock('2026-01-01T00:00:00Z');
  const broker = new MemoryBroker({ clock, maintenanceIntervalMs: 0 });
  const sqlite = new SqliteStateStore(':memory:');
  const store = options.store?.(sqlite) ?? sqlite;
  const metrics = new Metrics();
  const logs: Array<{ time: string; message: string; stage?: string; backoffMs?: number }> = [];
  const fatal: Error[] = [];
  const runtime = new Runtime([{ ...counterApp(), stages: options.stages ?? [auditTrail] }], {
    broker, store, clock, metrics, ids: seededIdSource(11), maxAttempts: 1, backoffMs: () => 10, supervision: POLICY,
    logger: createLogger({ destination: (line) => logs.push(JSON.parse(line)), now: () => new Date(clock.now()).toISOString() }),
    onFatal: (error) => fatal.push(error),
  });
  await runtime.start();
  const producer = broker.producer();
  let sent = 0;
  const produce = async (n: number) => {
    const records = Array.from({ length: n }, (_, i) => {
      const key = `k${(sent + i) % 7}`;
      return { topic: counterTopics.input.name, key, value: JSON.stringify({ id: `e${sent + i}`, type: 'counter.added', key, at: '2026-01-01T00:00:00Z', n: 1 }) };
    });
    sent += n;
    await producer.send(records);
  };
  const tps = Array.from({ length: counterTopics.input.partitions }, (_, partition) => ({ topic: counterTopics.input.name, partition }));
  /** Records of the input topic a stage has committed, by the offsets in its store. */
  const committed = (stage: string) => [...store.stage(stage).offsets(tps).values()].reduce((a, b) => a + b, 0);
  const restarts = (stage = 'spec.audit') => metrics.value('kastor_stage_restarts_total', { stage });
  /**
   * Moves virtual time on in steps, letting the runtime's promises run between them, until the
   * condition holds; bounded.
   */
  const advanceUntil = async (condition: () => boolean, message: string, maxSteps = 5_000) => {
    for (let i = 0; i < maxSteps; i++) {
      if (condition()) return;
      clock.advance(STEP_MS);
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`not within ${maxSteps * STEP_MS} virtual ms: ${message}`);
  };
  const close = async () => {
    await runtime.stop();
    await producer.close();
    await broker.close();
    store.close();
  };
  return { clock, store, metrics, broker, logs, fatal, runtime, produce, committed, restarts, advanceUntil, sent: () => sent, close };
}

describe('stage supervisor', function () {
  this.timeout(30_000);

  it('restarts a failing stage with backoff while the others commit, then gives up once', async () => {
    const r = await supervisedRuntime();
    try {
      await r.produce(20);
      await r.advanceUntil(() => r.runtime.stages.get('spec.audit') === 'backing-off', 'the audit stage to fail');
      expect(r.runtime.healthy, 'healthy while a stage backs off').to.equal(false);
      expect(r.metrics.value('kastor_stage_up', { stage: 'spec.audit' })).to.equal(0);
      expect(r.runtime.stages.get('spec.counter')).to.equal('running');

      // Between each restart of the poisoned stage, the counter stage consumes what arrives.
      const restartedAt: number[] = [];
      for (let n = 1; n <= POLICY.maxRestarts; n++) {
        await r.produce(10);
        await r.advanceUntil(() => r.restarts() === n, `restart ${n}`);
        restartedAt.push(r.clock.now());
        expect(r.metrics.value('kastor_stage_up', { stage: 'spec.audit' }), `up after restart ${n}`).to.equal(1);
        await r.advanceUntil(() => r.committed('spec.counter') === r.sent(), `the counter stage to commit ${r.sent()} records during restart ${n}`);
        expect(r.fatal, 'no fatal fault yet').to.deep.equal([]);
      }
      expect(r.committed('spec.audit'), 'the poisoned stage commits nothing').to.equal(0);

      // Each restart waits its backoff after the failure: doubled each time, capped.
      const failures = r.logs.filter((l) => l.message === 'stage failed; restarting it after a backoff');
      expect(failures.map((l) => l.stage)).to.deep.equal(Array(POLICY.maxRestarts).fill('spec.audit'));
      expect(failures.map((l) => l.backoffMs)).to.deep.equal([100, 200, 400, 400]);
      failures.forEach((l, i) => {
        const waited = restartedAt[i] - Date.parse(l.time);
        expect(waited, `wait before restart ${i + 1}`).to.be.within(l.backoffMs!, l.backoffMs! + 5 * STEP_MS);
      });

      // One failure more than the policy allows: given up, reported once.
      await r.advanceUntil(() => r.fatal.length > 0, 'the supervisor to give up');
      expect(r.runtime.stages.get('spec.audit')).to.equal('given-up');
      expect(r.runtime.healthy).to.equal(false);
      expect(r.fatal[0]).to.be.instanceOf(StageGaveUp);
      expect(r.fatal[0].message).to.include('spec.audit').and.include('no such table: audit_trail');
      expect(r.restarts()).to.equal(POLICY.maxRestarts);

      // Time goes on: no further restart, no second report; the counter stage still commits.
      await r.produce(5);
      await r.advanceUntil(() => r.committed('spec.counter') === r.sent(), 'the counter stage to commit after the give-up');
      r.clock.advance(10 * POLICY.maxBackoffMs);
      await new Promise((resolve) => setImmediate(resolve));
      expect(r.fatal).to.have.length(1);
      expect(r.restarts()).to.equal(POLICY.maxRestarts);

      const text = await r.metrics.render();
      expect(text).to.include(`kastor_stage_restarts_total{stage="spec.audit"} ${POLICY.maxRestarts}`);
      expect(text).to.include('kastor_stage_restarts_total{stage="spec.counter"} 0');
      expect(text).to.include('kastor_stage_up{stage="spec.audit"} 0');
      expect(text).to.include('kastor_stage_up{stage="spec.counter"} 1');
      expect(text).to.include(`kastor_supervision_max_restarts ${POLICY.maxRestarts}`);
      expect(text).to.include(`kastor_supervision_window_seconds ${POLICY.windowMs / 1000}`);
    } finally {
      await r.close();
    }
  });

  it('counts restarts within the window only: failures spread out are restarted forever', async () => {
    const r = await supervisedRuntime();
    try {
      await r.produce(3);
      // Each failure comes after the window of the earlier restarts has passed.
      for (let n = 1; n <= POLICY.maxRestarts + 2; n++) {
        await r.advanceUntil(() => r.runtime.stages.get('spec.audit') === 'backing-off', `failure ${n}`);
        await r.advanceUntil(() => r.restarts() === n, `restart ${n}`);
        r.clock.advance(POLICY.windowMs);
      }
      expect(r.fatal).to.deep.equal([]);
      const backoffs = r.logs.filter((l) => l.message === 'stage failed; restarting it after a backoff').map((l) => l.backoffMs);
      expect(backoffs, 'a new window starts from the initial backoff').to.deep.equal(Array(POLICY.maxRestarts + 2).fill(100));
    } finally {
      await r.close();
    }
  });

  it('restarts an actor host from its snapshots and stored offsets: a transient fault heals, nothing counts twice', async () => {
    // Three failed transactions: both attempts of the first runner, the first of the second.
    const r = await supervisedRuntime({ stages: [], store: (inner) => flakyStore(inner, 'spec.counter', 3) });
    try {
      await r.produce(28);
      await r.advanceUntil(() => r.restarts('spec.counter') === 1 && r.committed('spec.counter') === r.sent(), 'the counter stage to restart and catch up');
      await r.produce(14);
      await r.advanceUntil(() => r.committed('spec.counter') === r.sent(), 'the counter stage to commit what follows');
      const host = r.runtime.host('spec', 'counter');
      for (let k = 0; k < 7; k++) expect((host.snapshotOf(`k${k}`) as { context: { total: number } }).context.total, `k${k}`).to.equal(6);
      expect(r.runtime.healthy).to.equal(true);
      expect(r.fatal).to.deep.equal([]);
    } finally {
      await r.close();
    }
  });
});

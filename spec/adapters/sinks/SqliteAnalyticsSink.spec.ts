import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../../adapters/memory/index.js';
import { SqliteAnalyticsSink } from '../../../adapters/sinks/SqliteAnalyticsSink.js';
import { SqliteStateStore, openDatabase } from '../../../adapters/sqlite/SqliteStateStore.js';
import { SystemClock } from '../../../src/clock/SystemClock.js';
import { SimulatedCrash } from '../../../src/host/CommitStep.js';
import { Runtime } from '../../../src/host/Runtime.js';
import { seededIdSource } from '../../../src/ids/IdSource.js';
import { counterTopics } from '../../support/counterApp.js';
import { waitFor } from '../../support/waitFor.js';

describe('SQLite analytics sink', function () {
  this.timeout(20_000);

  it('holds every record exactly once, also across a crash after the store commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kastor-sink-'));
    const broker = new MemoryBroker({ maintenanceIntervalMs: 0 });
    const start = async (crashAt?: 'stored' | 'processed') => {
      const db = openDatabase(join(dir, 'state.db'));
      const store = new SqliteStateStore(db);
      let hits = 0;
      const runtime = new Runtime([{ name: 'spec', topics: [counterTopics.input], entities: [],
        stages: [new SqliteAnalyticsSink({ name: 'spec.analytics', topics: [counterTopics.input.name], db })] }], {
        broker, store, clock: new SystemClock(), ids: seededIdSource(1), maxBatchSize: 7,
        faults: (step) => { if (step === crashAt && ++hits === 3) throw new SimulatedCrash(step); },
      });
      await runtime.start();
      return { db, store, runtime };
    };
    const first = await start('stored');
    const producer = broker.producer();
    for (let i = 0; i < 100; i++) {
      await producer.send([{ topic: counterTopics.input.name, key: `k${i % 9}`, value: JSON.stringify({ id: `e${i}`, type: 'counter.added', key: `k${i % 9}`, at: '2026-01-01T00:00:00Z', n: i }) }]);
    }
    await first.runtime.stageRunners[0].crashed;
    await first.runtime.kill();
    first.store.close();
    const second = await start();
    const count = () => (second.db.prepare('SELECT count(*) AS n FROM analytics_records').get() as { n: number }).n;
    await waitFor(() => count() === 100, { message: () => `100 rows, have ${count()}` });
    const distinct = second.db.prepare('SELECT count(DISTINCT value) AS n FROM analytics_records WHERE type = ?').get('counter.added') as { n: number };
    expect(distinct.n).to.equal(100);
    await second.runtime.stop();
    second.store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

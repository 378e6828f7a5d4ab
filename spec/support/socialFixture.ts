/**
 * A MySocialMedia runtime on the memory broker and a SQLite file, that specs can kill and start
 * again on the same broker and file, as a process restarted by its supervisor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker } from '../../adapters/memory/index.js';
import { SqliteStateStore, openDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { SqliteSocialReadModel } from '../../adapters/sqlite/SqliteSocialReadModel.js';
import { socialApp } from '../../src/apps/social/socialApp.js';
import { socialTopics } from '../../config/social.js';
import { Runtime, type RuntimeOptions } from '../../src/host/Runtime.js';
import { SystemClock } from '../../src/clock/SystemClock.js';
import { seededIdSource } from '../../src/ids/IdSource.js';
import type { Broker } from '../../src/broker/Broker.js';

export interface SocialProcess {
  readonly runtime: Runtime;
  readonly store: SqliteStateStore;
  readonly readModel: SqliteSocialReadModel;
}

export class SocialFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'kastor-spec-'));
  readonly broker: Broker;
  private seed = 1;

  constructor(broker?: Broker) {
    this.broker = broker ?? new MemoryBroker({ maintenanceIntervalMs: 0 });
  }

  /** Starts a "process": a fresh runtime over the same state file and broker. */
  async start(options: Partial<RuntimeOptions> = {}): Promise<SocialProcess> {
    const store = new SqliteStateStore(openDatabase(join(this.dir, 'state.db')));
    const readModel = new SqliteSocialReadModel(store.db);
    const runtime = new Runtime([socialApp(readModel)], {
      broker: this.broker,
      store,
      clock: new SystemClock(),
      ids: seededIdSource(this.seed++),
      backoffMs: () => 1,
      ...options,
    });
    await runtime.start();
    return { runtime, store, readModel };
  }

  async produce(topic: keyof typeof socialTopics, key: string, event: Record<string, unknown>): Promise<void> {
    const producer = this.broker.producer();
    await producer.send([{ topic: socialTopics[topic].name, key, value: JSON.stringify(event) }]);
    await producer.close();
  }

  async cleanup(...processes: SocialProcess[]): Promise<void> {
    for (const p of processes) {
      await p.runtime.stop().catch(() => undefined);
      p.store.close();
    }
    await this.broker.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

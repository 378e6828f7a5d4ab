/**
 * A memory broker that does not hold the whole input: the records are produced in chunks while the
 * host consumes them, and a chunk is dropped from the log (retention on a hand-driven broker clock)
 * once every partition's stored offset is past it. So the process holds what Kafka would hold for
 * it — nothing of the log — and its RSS is the host's. Each chunk's records carry the chunk number
 * as timestamp; the topic keeps records 0 ms; advancing the broker clock to c + 1 and running
 * `maintain()` drops chunks 0..c.
 */
import type Database from 'better-sqlite3';
import { MemoryBroker } from '../../adapters/memory/index.js';
import type { Clock } from '../../src/clock/Clock.js';
import { sleep } from './measure.js';

export class PacedLog {
  readonly broker: MemoryBroker;
  private brokerNow = 0;
  produceMs = 0;

  constructor() {
    const clock: Clock = {
      now: () => this.brokerNow,
      setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    this.broker = new MemoryBroker({ clock, maintenanceIntervalMs: 0 });
  }

  /**
   * Produces `chunks` (each a list of records for one topic), keeping at most `maxLag` records
   * ahead of what `stage` has stored as consumed, and dropping what every partition has passed.
   */
  async feed(
    db: () => Database.Database,
    stage: string,
    topic: string,
    chunks: Iterable<Array<{ key: string; value: string }>>,
    maxLag: number,
  ): Promise<void> {
    const producer = this.broker.producer({ clientId: 'bench-paced' });
    const pending: Array<{ chunk: number; ends: Map<number, number> }> = [];
    let produced = 0;
    let chunk = 0;
    const offsets = () => {
      const rows = db().prepare('SELECT partition, next_offset FROM kastor_offsets WHERE stage = ? AND topic = ?').all(stage, topic) as Array<{ partition: number; next_offset: number }>;
      return new Map(rows.map((r) => [r.partition, r.next_offset]));
    };
    const consumed = (stored: Map<number, number>) => [...stored.values()].reduce((a, b) => a + b, 0);
    for (const records of chunks) {
      for (;;) {
        const stored = offsets();
        this.dropPassed(pending, stored);
        if (produced - consumed(stored) + records.length <= maxLag) break;
        await sleep(2);
      }
      const t = performance.now();
      const metadata = await producer.send(records.map((r) => ({ topic, key: r.key, value: r.value, timestamp: chunk })));
      this.produceMs += performance.now() - t;
      const ends = new Map<number, number>();
      for (const m of metadata) ends.set(m.partition, Math.max(ends.get(m.partition) ?? -1, m.offset));
      pending.push({ chunk, ends });
      produced += records.length;
      chunk++;
    }
    await producer.close();
  }

  private dropPassed(pending: Array<{ chunk: number; ends: Map<number, number> }>, stored: Map<number, number>): void {
    let passed = -1;
    while (pending.length > 0 && [...pending[0].ends].every(([p, last]) => (stored.get(p) ?? 0) > last)) {
      passed = pending.shift()!.chunk;
    }
    if (passed < 0) return;
    this.brokerNow = passed + 1;
    this.broker.maintain();
  }
}

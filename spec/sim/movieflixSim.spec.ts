import { expect } from 'chai';
import type { SqliteDatabase } from '../../adapters/sqlite/SqliteStateStore.js';
import { runSimulation } from '../../src/cli/simulateCommand.js';
import { FAULT_KINDS } from '../../src/sim/FaultyBroker.js';
import type { SimReport } from '../../src/sim/Simulation.js';

const sizes = { users: 100, rate: 15 };
/** Short enough to fire within three simulated minutes; the margin (2/3 of it) outlasts a paused partition. */
const fast = { KASTOR_MOVIEFLIX_DISLIKE_AFTER_MS: '60000' };

/** `kastor simulate movieflix`, with the short dislike delay, and a hook before the checks. */
function run(seed: number, durationMs: number, beforeChecks?: (db: SqliteDatabase) => void): Promise<SimReport> {
  return runSimulation({ apps: ['movieflix'], seed, durationMs, faults: FAULT_KINDS, sizes, env: fast, beforeChecks });
}

const count = (report: SimReport, name: RegExp, what: RegExp): number =>
  Number(what.exec(report.invariants.find((i) => name.test(i.name))?.detail ?? '')?.[1] ?? 0);

describe('MovieFlix under simulation', function () {
  this.timeout(120_000);

  for (const seed of [1, 2, 3]) {
    it(`holds every invariant under every fault with seed ${seed}`, async () => {
      const report = await run(seed, 3 * 60_000);
      const broken = report.invariants.filter((i) => !i.held);
      expect(broken, JSON.stringify(broken)).to.deep.equal([]);
      expect(report.invariants).to.have.length(9);
      expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).to.be.greaterThan(0);
      // The checks looked at something: seasons finished, shows dropped and disliked in time.
      expect(count(report, /liked$/, /(\d+) liked/)).to.be.greaterThan(0);
      expect(count(report, /disliked$/, /(\d+) disliked/)).to.be.greaterThan(0);
      expect(count(report, /dead-lettered/, /(\d+) of/)).to.be.greaterThan(0);
    });
  }

  it('notices a read model or an analytics store that lost track', async () => {
    const report = await run(4, 2 * 60_000, (db) => {
      db.exec(`UPDATE movieflix_resume SET position_sec = position_sec + 1
               WHERE user_id = (SELECT min(user_id) FROM movieflix_resume)`);
      db.exec(`UPDATE movieflix_profile SET status = 'watching'
               WHERE user_id = (SELECT min(user_id) FROM movieflix_profile WHERE status = 'liked') AND status = 'liked'`);
      db.exec(`DELETE FROM analytics_records
               WHERE (topic, partition, offset) = (SELECT topic, partition, offset FROM analytics_records LIMIT 1)`);
    });
    const broken = report.invariants.filter((i) => !i.held).map((i) => i.name);
    expect(broken).to.have.members([
      'movieflix: resume = the latest reported position per (user, show)',
      'movieflix: a show watched to the end of a season counts as liked',
      'movieflix: every profile entry (status, episodes completed, furthest episode) follows its history',
      'movieflix: the analytics store holds every show_position record exactly once',
    ]);
  });

  it('gives the same digest for the same seed, and another for another seed', async () => {
    const go = (seed: number) => runSimulation({ apps: ['movieflix'], seed, durationMs: 30_000, faults: FAULT_KINDS, sizes });
    const [a, b, c] = [await go(7), await go(7), await go(8)];
    expect(a.ok && b.ok && c.ok, JSON.stringify([a, c].flatMap((r) => r.invariants.filter((i) => !i.held)))).to.equal(true);
    expect(a.digest).to.equal(b.digest);
    expect(a.eventsProcessed).to.equal(b.eventsProcessed);
    expect(c.digest).to.not.equal(a.digest);
  });
});

// The virtual clock is what makes a simulation reproducible; it lives in src/clock, its spec here
// beside the simulation's (spec/clock is someone else's to create).
import { expect } from 'chai';
import { VirtualClock } from '../../src/clock/VirtualClock.js';
import { seededRandom } from '../../src/ids/IdSource.js';

/** The clock as it was before the heap: a linear scan for the earliest (due, id). */
class ScanClock {
  current = 0;
  private seq = 0;
  private readonly timers = new Map<number, { id: number; due: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.timers.set(id, { id, due: this.current + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(id: number): void {
    this.timers.delete(id);
  }
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers.values()) if (next === undefined || t.due < next) next = t.due;
    return next;
  }
  advanceTo(to: number): void {
    for (;;) {
      let best: { id: number; due: number; fn: () => void } | undefined;
      for (const t of this.timers.values()) if (t.due <= to && (!best || t.due < best.due || (t.due === best.due && t.id < best.id))) best = t;
      if (!best) break;
      this.timers.delete(best.id);
      this.current = Math.max(this.current, best.due);
      best.fn();
    }
    this.current = Math.max(this.current, to);
  }
}

describe('VirtualClock', () => {
  it('fires timers in due order, ties in the order they were set, at their due time', () => {
    const clock = new VirtualClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 100);
    clock.advance(50);
    expect(fired).to.deep.equal(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).to.equal(1_050);
    expect(clock.nextDue()).to.equal(1_100);
  });

  it('never fires a cleared timer, and fires within the same advance the timers a timer sets', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const cleared = clock.setTimeout(() => fired.push(-1), 5);
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 3);
      clock.setTimeout(() => fired.push(-2), 100);
    }, 2);
    clock.clearTimeout(cleared);
    clock.clearTimeout(cleared);
    clock.advanceTo(10);
    expect(fired).to.deep.equal([2, 5]);
    expect(clock.pendingTimers).to.equal(1);
    expect(clock.nextDue()).to.equal(102);
  });

  it('behaves as a linear scan would under many timers set and cleared', () => {
    const random = seededRandom(42);
    const heap = new VirtualClock(0);
    const scan = new ScanClock();
    const log: { heap: string[]; scan: string[] } = { heap: [], scan: [] };
    const live: Array<[number, number]> = [];
    for (let step = 0; step < 20_000; step++) {
      const roll = random();
      if (roll < 0.55) {
        const ms = Math.floor(random() * 500);
        const nested = random() < 0.1 ? Math.floor(random() * 50) : -1;
        const arm = (clock: VirtualClock | ScanClock, out: string[]) => () => {
          out.push(`${step}@${clock instanceof VirtualClock ? clock.now() : clock.current}`);
          if (nested >= 0) clock.setTimeout(() => out.push(`${step}+@${clock instanceof VirtualClock ? clock.now() : clock.current}`), nested);
        };
        live.push([heap.setTimeout(arm(heap, log.heap), ms) as number, scan.setTimeout(arm(scan, log.scan), ms)]);
      } else if (roll < 0.9 && live.length > 0) {
        const [h, s] = live.splice(Math.floor(random() * live.length), 1)[0];
        heap.clearTimeout(h);
        scan.clearTimeout(s);
      } else {
        const by = Math.floor(random() * 200);
        heap.advance(by);
        scan.advanceTo(scan.current + by);
      }
      if (step % 97 === 0) expect(heap.nextDue()).to.equal(scan.nextDue());
    }
    heap.advance(10_000);
    scan.advanceTo(scan.current + 10_000);
    expect(log.heap.length).to.be.greaterThan(1_000);
    expect(log.heap).to.deep.equal(log.scan);
    expect(heap.pendingTimers).to.equal(0);
  });
});

import type { Clock, TimerHandle } from './Clock.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in due order, ties in the order they were set,
 * so a run is the same every time: the basis of exact time specs and of the simulation.
 *
 * Every actor with a delayed transition holds a timer, re-armed on each of its events, so a
 * simulation sets and clears timers by the hundred thousand with thousands pending: they sit in a
 * binary heap ordered by (due, id). A cleared timer leaves the map at once and the heap when it
 * reaches the top, or when cleared ones outnumber the live ones (the heap is then rebuilt).
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();
  private heap: Timer[] = [];

  constructor(start: number | string = 0) {
    this.current = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    const timer = { id, due: this.current + Math.max(0, ms), fn };
    this.timers.set(id, timer);
    this.push(timer);
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (!this.timers.delete(handle as number)) return;
    if (this.heap.length > 64 && this.heap.length > 2 * this.timers.size) this.rebuild();
  }

  /** Time of the next timer, if any. */
  nextDue(): number | undefined {
    return this.top()?.due;
  }

  /** Moves time to `to`, firing every timer due on the way (timers they set included). */
  advanceTo(to: number): void {
    for (;;) {
      const timer = this.top();
      if (!timer || timer.due > to) break;
      this.pop();
      this.timers.delete(timer.id);
      this.current = Math.max(this.current, timer.due);
      timer.fn();
    }
    this.current = Math.max(this.current, to);
  }

  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** The earliest live timer, cleared ones above it dropped. */
  private top(): Timer | undefined {
    while (this.heap.length > 0 && !this.timers.has(this.heap[0].id)) this.pop();
    return this.heap[0];
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right], heap[left]) ? right : left;
      if (!before(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
  }

  private rebuild(): void {
    this.heap = [];
    for (const timer of this.timers.values()) this.push(timer);
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

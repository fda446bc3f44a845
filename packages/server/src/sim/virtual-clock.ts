// Virtual time for the whole-cluster simulation: one queue of events ordered by (time, insertion),
// run one at a time. After each event every promise continuation it caused runs to completion
// before the next event, so the real (async) node logic interleaves only where a simulated
// message or timer says so, and a run is a pure function of its seed.
import type { CancelTimer, Timers } from '../clock/timers.js';

interface Event {
  atMs: number;
  seq: number;
  fn: () => unknown;
  /** Set for {@link VirtualClock.scheduleSync}: `fn` says whether it started asynchronous work. */
  sync: boolean;
  cancelled: boolean;
}

// Module bindings: inside jest's vm sandbox every global lookup (Math.ceil) is slow, and this runs on every event.
const { ceil, max } = Math;
const INFINITY = Number.POSITIVE_INFINITY;

/** Lets every pending promise continuation run (they all run before the next macrotask). */
const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A group of timers that stops at once when its owner (a simulated process) dies. */
export interface TimerOwner {
  readonly alive: boolean;
}

export class VirtualClock {
  /** Current virtual time, integer ms since the epoch (deadlines travel as bigint ms). */
  private time: number;
  private seq = 0;
  /** Pending events, sorted by (atMs, seq): small queues, so sorted insertion beats a heap here. */
  private readonly queue: Event[] = [];
  /** Events run so far. */
  eventsRun = 0;

  constructor(startMs: number) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  /** Runs `fn` at `now + delayMs` (rounded up to whole ms); returns a function that cancels it. */
  schedule(delayMs: number, fn: () => void): CancelTimer {
    return this.insert(delayMs, fn, false);
  }

  /**
   * As {@link schedule}, for work that is synchronous unless `fn` returns true (it started
   * asynchronous work): after an event that returns false the next one runs without waiting for
   * promise continuations, as there are none. Gossip, most of a run's events, runs this way.
   */
  scheduleSync(delayMs: number, fn: () => boolean): CancelTimer {
    return this.insert(delayMs, fn, true);
  }

  private insert(delayMs: number, fn: () => unknown, sync: boolean): CancelTimer {
    const atMs = this.time + max(0, ceil(delayMs));
    const ev: Event = { atMs, seq: this.seq++, fn, sync, cancelled: false };
    // Insert after every event due at or before atMs: equal times run in scheduling order.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.queue[mid]!.atMs <= atMs) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, ev);
    return () => {
      ev.cancelled = true;
    };
  }

  /** Time of the next pending event, or Infinity. */
  nextEventMs(): number {
    while (this.queue.length > 0 && this.queue[0]!.cancelled) this.queue.shift();
    return this.queue.length > 0 ? this.queue[0]!.atMs : INFINITY;
  }

  /** Runs every event due until `untilMs`, then sets the clock to `untilMs`. */
  async runUntil(untilMs: number): Promise<void> {
    await drainMicrotasks();
    while (this.nextEventMs() <= untilMs) {
      const ev = this.queue.shift()!;
      this.time = ev.atMs;
      this.eventsRun++;
      const startedAsync = ev.fn();
      // Every event starts with no continuation pending: the last one either drained them or made none.
      if (!ev.sync || startedAsync === true) await drainMicrotasks();
    }
    this.time = Math.max(this.time, untilMs);
  }

  /** Runs for `ms` of virtual time. */
  run(ms: number): Promise<void> {
    return this.runUntil(this.time + ms);
  }

  /**
   * The `Timers` a simulated process gets: its timers fire only while `owner` is alive, so a
   * crash drops them all, as killing a process does.
   */
  timersFor(owner: TimerOwner): Timers {
    return {
      monotonicMs: () => this.time,
      after: (ms, fn) => this.schedule(ms, () => owner.alive && fn()),
      every: (ms, fn) => {
        let cancel: CancelTimer;
        const tick = (): void => {
          if (!owner.alive) return;
          cancel = this.schedule(ms, tick);
          fn();
        };
        cancel = this.schedule(ms, tick);
        return () => cancel();
      },
    };
  }
}

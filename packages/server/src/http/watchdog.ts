// One timer for every deadline of the node's connections and streams: a sweep every tick asks
// each watched thing whether it overstayed (silent before its first byte, headers too slow, idle
// too long, a message arriving too slowly, responses nobody reads) and cuts those that did. One
// interval instead of a timer per request keeps the hot path free of timer churn; a deadline is
// then enforced within one tick of passing.

/** The node's connection and stream timeouts, in milliseconds (see the config schema). */
export interface ConnectionTimeouts {
  firstByteMs: number;
  headersMs: number;
  idleMs: number;
  messageMs: number;
  messageMinBytesPerSecond: number;
  drainMs: number;
}

/** Something with deadlines. */
export interface Watched {
  /** Cuts count as connection cuts or stream cuts. */
  readonly scope: 'connection' | 'stream';
  /** Why it must be cut now, or undefined while it is within its deadlines. */
  check(nowMs: number): string | undefined;
  /** Closes it (called once, after it is no longer watched). */
  cut(reason: string): void;
}

/**
 * When a message that started arriving at `sinceMs`, and has brought `bytes` since, must be
 * complete: `messageMs`, plus one second per `messageMinBytesPerSecond` received (a large message
 * on a slow but steady link gets the time it needs; a trickle does not).
 */
export function messageDeadline(sinceMs: number, bytes: number, t: ConnectionTimeouts): number {
  return sinceMs + t.messageMs + (bytes * 1000) / t.messageMinBytesPerSecond;
}

/** Whether output waiting for a reader drains: some of it must be read within `drainMs`. */
export class DrainWatch {
  private lastPending = 0;
  private sinceMs = 0;

  /** True when `pending` bytes have waited `drainMs` without the reader taking any. */
  stalled(pending: number, nowMs: number, drainMs: number): boolean {
    if (pending === 0 || pending < this.lastPending || this.lastPending === 0) {
      this.lastPending = pending;
      this.sinceMs = nowMs;
      return false;
    }
    this.lastPending = pending;
    return nowMs - this.sinceMs > drainMs;
  }
}

/** The tick for a set of timeouts: a quarter of the shortest, between 5 ms and 1 s. */
export function tickFor(t: ConnectionTimeouts): number {
  const shortest = Math.min(t.firstByteMs, t.headersMs, t.idleMs, t.messageMs, t.drainMs);
  return Math.max(5, Math.min(1000, Math.floor(shortest / 4)));
}

/** Sweeps everything watched once per tick. */
export class Watchdog {
  private readonly watched = new Set<Watched>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly o: {
      tickMs: number;
      now: () => number;
      /** Reports a cut (metrics). */
      onCut: (scope: Watched['scope'], reason: string) => void;
      /** Runs after each sweep (checks of the node as a whole). */
      afterSweep?: () => void;
    },
  ) {}

  /** Watches `w` until the returned function is called (or it is cut). */
  watch(w: Watched): () => void {
    this.watched.add(w);
    this.timer ??= setInterval(() => this.sweep(), this.o.tickMs).unref();
    return () => this.watched.delete(w);
  }

  /** Checks everything now. */
  sweep(): void {
    const now = this.o.now();
    for (const w of this.watched) {
      const reason = w.check(now);
      if (reason === undefined) continue;
      this.watched.delete(w);
      this.o.onCut(w.scope, reason);
      w.cut(reason);
    }
    this.o.afterSweep?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }
}

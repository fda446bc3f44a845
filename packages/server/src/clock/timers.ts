// The timers and monotonic clock the node's logic runs on, passed in (as @quorumkv/gossip takes
// `now` and `random`) so the deterministic simulation (src/sim) runs the same code on a virtual
// clock. The node passes `systemTimers`.

/** Cancels a timer; calling it again, or after the timer fired, does nothing. */
export type CancelTimer = () => void;

/** Time as the quorum engine, hinted handoff and the reaper see it. */
export interface Timers {
  /** Monotonic time in ms (fractional), for measuring latencies. */
  monotonicMs(): number;
  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): CancelTimer;
  /** Runs `fn` every `ms` until cancelled. Background work: a real one does not keep the process alive. */
  every(ms: number, fn: () => void): CancelTimer;
}

/** Node's own timers and `performance.now()`. */
export const systemTimers: Timers = {
  monotonicMs: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

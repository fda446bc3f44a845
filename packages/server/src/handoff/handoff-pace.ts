// The pace of ownership handoff: how many bytes per second a node sends, adapted to the latency of
// the client requests it coordinates (additive increase, multiplicative decrease, as TCP paces on
// loss). A transfer competes with those requests for the node's CPU and disk, and for the
// receiver's; a fixed rate that suits an idle 32-core node starves a busy 2-core one, and one that
// suits the busy node leaves the idle one moving data for days. So the pace learns the 90th
// percentile of the node's request latency while it sends nothing (the baseline) and, while
// transfers run, compares each window's with it (a high percentile, for the tail the handoff must
// not stretch, yet not the maximum: a few requests waiting out a slow replica's timeout must not hold
// back the handoff that restores that replica's copies): above `slowdown` times the baseline the
// rate halves, down to a floor that keeps every transfer moving; otherwise it climbs one step
// towards the configured rate. Transfers start low and climb, so the first second of a change does
// not land on the foreground at full rate.
//
// Pure: time comes with each call; the sender feeds it latencies and asks it for the rate.

/** Options of {@link HandoffPace}. */
export interface HandoffPaceOptions {
  /** The most bytes per second: the configured rate (> 0). */
  maxBytesPerSecond: number;
  /** The least: transfers never go slower than this while they run. */
  minBytesPerSecond: number;
  /** Where transfers start after a window without any (and each step up). */
  stepBytesPerSecond: number;
  /** Length of a measuring window, ms. */
  windowMs: number;
  /** A window whose 90th-percentile latency is above this factor of the baseline halves the rate. */
  slowdown: number;
  /** Latency within this many ms of the baseline never counts as slower (sub-millisecond noise). */
  slackMs: number;
  /** A window with fewer requests says nothing about latency; the rate climbs through it. */
  minSamples: number;
}

/** The weight of a quiet window's percentile in the baseline. */
const BASELINE_WEIGHT = 0.2;
/** Empty windows a gap between calls closes one by one, at most. */
const MAX_GAP_WINDOWS = 128;
/** Latencies a window keeps for its percentile, at most (the first ones: requests arrive in no particular order). */
const MAX_SAMPLES = 4096;

/**
 * Defaults for a configured rate `max`: floor, start and step 1/64 of it, 250 ms windows, so an
 * undisturbed node reaches `max` in 16 s (the default 16 MiB/s: from 256 KiB/s, +1 MiB/s a second).
 */
export function paceOptions(maxBytesPerSecond: number): HandoffPaceOptions {
  return {
    maxBytesPerSecond,
    minBytesPerSecond: maxBytesPerSecond / 64,
    stepBytesPerSecond: maxBytesPerSecond / 64,
    windowMs: 250,
    slowdown: 1.5,
    slackMs: 1,
    minSamples: 20,
  };
}

export class HandoffPace {
  private current: number;
  private baselineMs: number | undefined;
  private windowStart: number | undefined;
  private samples: number[] = [];
  /** Whether transfers ran at any time in the open window. */
  private transferring = false;
  /** Whether transfers were running at the last call: the state of the windows of a gap after it. */
  private active = false;

  constructor(private readonly o: HandoffPaceOptions) {
    if (!(o.maxBytesPerSecond > 0)) throw new RangeError(`maxBytesPerSecond must be positive, got ${o.maxBytesPerSecond}`);
    if (!(o.minBytesPerSecond > 0 && o.minBytesPerSecond <= o.maxBytesPerSecond)) throw new RangeError('minBytesPerSecond must be in (0, maxBytesPerSecond]');
    this.current = this.start();
  }

  /** One client request this node coordinated took `ms`, at `now`; `transferring` if transfers ran. */
  observe(ms: number, now: number, transferring: boolean): void {
    this.roll(now, transferring);
    if (this.samples.length < MAX_SAMPLES && Number.isFinite(ms)) this.samples.push(ms);
  }

  /** The last transfer ended at `now`: the windows until the next call are quiet ones. */
  idle(now: number): void {
    this.roll(now, false);
  }

  /** The rate at `now` without marking the open window as one with transfers (for metrics). */
  at(now: number): number {
    this.roll(now, this.active);
    return this.current;
  }

  /** Bytes per second to send at `now` (a transfer is running). */
  rate(now: number): number {
    this.roll(now, true);
    return this.current;
  }

  /** The rate as it stands, without closing a window (for metrics). */
  get bytesPerSecond(): number {
    return this.current;
  }

  /** The learned 90th-percentile latency without transfers, ms (undefined until a quiet window had requests). */
  get baseline(): number | undefined {
    return this.baselineMs;
  }

  private start(): number {
    return Math.min(this.o.maxBytesPerSecond, Math.max(this.o.minBytesPerSecond, this.o.stepBytesPerSecond));
  }

  /**
   * Closes the windows `now` is past, then notes `transferring`. The windows of a gap without calls
   * (a sender waiting out its batch, no client requests) had no requests: each counts as one more
   * window in the state of the last call (transfers running or not), so the rate climbs by window,
   * not by call, and a transfer after an idle gap starts low.
   */
  private roll(now: number, transferring: boolean): void {
    if (this.windowStart === undefined) this.windowStart = now;
    const elapsed = Math.floor((now - this.windowStart) / this.o.windowMs);
    if (elapsed > 0) {
      this.close();
      // Bounded: past this many steps the rate is at its max (or the start) either way.
      for (let i = 1; i < Math.min(elapsed, MAX_GAP_WINDOWS); i++) {
        this.transferring = this.active;
        this.close();
      }
      this.windowStart += elapsed * this.o.windowMs;
    }
    this.transferring ||= transferring;
    this.active = transferring;
  }

  private close(): void {
    const typical = this.samples.length >= this.o.minSamples ? upperDecile(this.samples) : undefined;
    if (!this.transferring) {
      // A quiet window: the node's latency as it is without handoff; the next transfer starts low.
      if (typical !== undefined) this.baselineMs = this.baselineMs === undefined ? typical : this.baselineMs + BASELINE_WEIGHT * (typical - this.baselineMs);
      this.current = this.start();
    } else if (typical !== undefined && this.baselineMs !== undefined && typical > Math.max(this.baselineMs * this.o.slowdown, this.baselineMs + this.o.slackMs)) {
      this.current = Math.max(this.o.minBytesPerSecond, this.current / 2);
    } else if (typical !== undefined && this.baselineMs === undefined) {
      // Requests to protect and nothing to judge them by (transfers resumed at boot, before any
      // quiet window): hold where transfers start.
      this.current = Math.min(this.current, this.start());
    } else {
      this.current = Math.min(this.o.maxBytesPerSecond, this.current + this.o.stepBytesPerSecond);
    }
    this.samples = [];
    this.transferring = false;
  }
}

/** The 90th percentile (nearest rank); sorts `xs`. */
function upperDecile(xs: number[]): number {
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length * 0.9)]!;
}

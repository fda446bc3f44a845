// Latency-aware choice among the nodes that can serve a request: an exponentially weighted moving
// average of each node's observed latency, weighted by the requests it has in flight (the
// "peak EWMA" idea). A request still unanswered counts as at least as slow as its age, so a node that
// stopped answering (paused, overloaded) looks slow at once, before any request to it has failed.
// A node not measured for a while drifts back toward zero cost, so a node that was slow once gets
// tried again instead of being shunned forever.

/** Tuning of {@link EwmaSelector}. */
export interface EwmaOptions {
  /** Time constant of the moving average: a sample older than this weighs ~37%. Default 2000. */
  readonly decayMs?: number;
  /** After this long without a sample a node's cost has halved, inviting a new probe. Default 10000. */
  readonly idleHalfLifeMs?: number;
}

interface NodeStats {
  ewmaMs: number;
  lastSampleAt: number;
  /** Start times of the requests in flight, oldest first. */
  started: number[];
}

/** Picks the node with the lowest expected latency and learns from every request's outcome. */
export class EwmaSelector {
  private readonly stats = new Map<string, NodeStats>();
  private readonly decayMs: number;
  private readonly idleHalfLifeMs: number;

  /** @param now - monotonic clock in milliseconds (injected so tests can drive time) */
  constructor(
    private readonly now: () => number,
    options: EwmaOptions = {},
  ) {
    this.decayMs = options.decayMs ?? 2000;
    this.idleHalfLifeMs = options.idleHalfLifeMs ?? 10_000;
  }

  /** Expected cost of sending one more request to `node` right now (lower is better; unmeasured = 0). */
  cost(node: string): number {
    const s = this.stats.get(node);
    if (!s) return 0;
    const now = this.now();
    const idle = Math.max(0, now - s.lastSampleAt);
    const base = s.ewmaMs * Math.pow(0.5, idle / this.idleHalfLifeMs);
    const oldest = s.started[0];
    return Math.max(base, oldest === undefined ? 0 : now - oldest) * (s.started.length + 1);
  }

  /** The cheapest of `candidates`; ties go to the earliest (the preference-list order). */
  pick(candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestCost = Infinity;
    for (const c of candidates) {
      const cost = this.cost(c);
      if (cost < bestCost) {
        best = c;
        bestCost = cost;
      }
    }
    return best;
  }

  /** Call when a request is sent to `node`; returns the start time to pass to {@link finish}. */
  start(node: string): number {
    const s = this.entry(node);
    const t = this.now();
    s.started.push(t);
    return t;
  }

  /**
   * Call when the request started at `startedAt` ends. Failed requests count with `penaltyMs`
   * (when given) so a node that errors looks slow rather than fast.
   */
  finish(node: string, startedAt: number, penaltyMs?: number): void {
    const s = this.entry(node);
    const i = s.started.indexOf(startedAt);
    if (i >= 0) s.started.splice(i, 1);
    const t = this.now();
    this.observe(s, Math.max(0, t - startedAt) + (penaltyMs ?? 0), t);
  }

  /** Call when the request started at `startedAt` was cancelled: it ends without a sample. */
  abandon(node: string, startedAt: number): void {
    const s = this.stats.get(node);
    const i = s ? s.started.indexOf(startedAt) : -1;
    if (i >= 0) s!.started.splice(i, 1);
  }

  /** Current moving average of `node` in milliseconds, or `undefined` before its first sample. */
  averageMs(node: string): number | undefined {
    const s = this.stats.get(node);
    return s && s.lastSampleAt >= 0 ? s.ewmaMs : undefined;
  }

  private observe(s: NodeStats, sampleMs: number, t: number): void {
    if (s.lastSampleAt < 0) {
      s.ewmaMs = sampleMs;
    } else {
      // Time-weighted, but every sample counts at least 10% so bursts of quick requests still learn.
      const w = Math.min(0.9, Math.exp(-Math.max(0, t - s.lastSampleAt) / this.decayMs));
      s.ewmaMs = s.ewmaMs * w + sampleMs * (1 - w);
    }
    s.lastSampleAt = t;
  }

  private entry(node: string): NodeStats {
    let s = this.stats.get(node);
    if (!s) {
      s = { ewmaMs: 0, lastSampleAt: -1, started: [] };
      this.stats.set(node, s);
    }
    return s;
  }
}

// Recent latencies per node, for the hedge delay: a read is sent to a second replica once the first
// has taken longer than the given percentile of its recent answers (Cassandra's speculative retry,
// done by the client). A fixed window of the latest samples; the percentile is recomputed only
// after enough new samples, so a lookup costs nothing on the hot path. Also when each node last
// answered anything, which tells a slow node (answering others) from a stalled one.

/** Samples kept per node. */
const WINDOW = 128;
/** New samples after which a cached percentile is recomputed. */
const RECOMPUTE_EVERY = 16;

interface Window {
  samples: number[];
  next: number;
  sinceCompute: number;
  cached: Map<number, number>;
}

/** The latency distribution of each node's recent successful requests. */
export class LatencyWindows {
  private readonly windows = new Map<string, Window>();
  private readonly answers = new Map<string, number>();

  /** Notes that `node` answered a request (successfully or with its own error) at time `at`. */
  answered(node: string, at: number): void {
    this.answers.set(node, at);
  }

  /** When `node` last answered anything (-Infinity before its first answer). */
  lastAnswerAt(node: string): number {
    return this.answers.get(node) ?? -Infinity;
  }

  /** Records one successful request's latency in ms. */
  record(node: string, ms: number): void {
    let w = this.windows.get(node);
    if (!w) {
      w = { samples: [], next: 0, sinceCompute: 0, cached: new Map() };
      this.windows.set(node, w);
    }
    if (w.samples.length < WINDOW) w.samples.push(ms);
    else w.samples[w.next] = ms;
    w.next = (w.next + 1) % WINDOW;
    w.sinceCompute++;
  }

  /**
   * The `p` quantile (0 to 1) of `node`'s recent latencies, or undefined with fewer than
   * `minSamples` of them (too few to say what is slow for it).
   */
  percentile(node: string, p: number, minSamples = 8): number | undefined {
    const w = this.windows.get(node);
    if (!w || w.samples.length < minSamples) return undefined;
    if (w.sinceCompute >= RECOMPUTE_EVERY) {
      w.cached.clear();
      w.sinceCompute = 0;
    }
    let v = w.cached.get(p);
    if (v === undefined) {
      const sorted = [...w.samples].sort((a, b) => a - b);
      v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;
      w.cached.set(p, v);
    }
    return v;
  }
}

// Which nodes to avoid: a node whose connection failed is "down" for a short, growing backoff, then
// gets one probe request (half-open); a success clears its record.

/** Tuning of {@link NodeHealth}. */
export interface NodeHealthOptions {
  /** First down period after a failure. Default 1000. */
  readonly downBaseMs?: number;
  /** Longest down period, however many failures in a row. Default 15000. */
  readonly downMaxMs?: number;
}

interface Record {
  failures: number;
  downUntil: number;
}

/** Tracks failed nodes so routing can skip them until their backoff expires. */
export class NodeHealth {
  private readonly records = new Map<string, Record>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  /** @param now - clock in milliseconds (injected so tests can drive time) */
  constructor(
    private readonly now: () => number,
    options: NodeHealthOptions = {},
  ) {
    this.baseMs = options.downBaseMs ?? 1000;
    this.maxMs = options.downMaxMs ?? 15_000;
  }

  /** True unless `node` failed recently and its backoff has not expired. */
  isUp(node: string): boolean {
    const r = this.records.get(node);
    return !r || this.now() >= r.downUntil;
  }

  /** Records a failure: the node is skipped for base × 2^(failures−1), capped at the maximum. */
  markDown(node: string): void {
    const r = this.records.get(node) ?? { failures: 0, downUntil: 0 };
    r.failures++;
    r.downUntil = this.now() + Math.min(this.maxMs, this.baseMs * Math.pow(2, r.failures - 1));
    this.records.set(node, r);
  }

  /** Records a success: the node is up with a clean slate. */
  markUp(node: string): void {
    this.records.delete(node);
  }

  /** Of `nodes` (all down), the one whose backoff ends first: the best bet when nothing is up. */
  soonestUp(nodes: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestAt = Infinity;
    for (const n of nodes) {
      const at = this.records.get(n)?.downUntil ?? 0;
      if (at < bestAt) {
        best = n;
        bestAt = at;
      }
    }
    return best;
  }
}

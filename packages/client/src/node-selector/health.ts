// Which nodes routing may use. A node is down when this client saw it fail or time out, or when the
// cluster's own liveness view (fetched with the ring) reports it dead or left. A down node gets no
// user requests: it is probed in the background (a cheap RPC, see prober.ts) at a growing interval
// and comes back only once a probe answered, never merely because a timer ran out.

/** Tuning of {@link NodeHealth}. */
export interface NodeHealthOptions {
  /** First probe of a down node this long after it went down; the interval doubles with each failed probe. Default 500. */
  readonly downBaseMs?: number;
  /** Longest interval between two probes of a down node. Default 5000. */
  readonly downMaxMs?: number;
}

/** How the cluster's failure detector sees a node, as a node reported it. */
export type ReportedLiveness = 'alive' | 'suspect' | 'dead' | 'left' | 'unknown';

interface NodeRecord {
  /** This client saw it fail (unreachable, reset, no answer in time) and no probe has answered since. */
  failed: boolean;
  /** The cluster's latest view reports it dead or left. */
  reportedDown: boolean;
  /** Failed probes in a row (and answered probes while still reported down): the interval doubles with each. */
  failures: number;
  /** When the next probe is due. */
  probeAt: number;
}

/** Tracks down nodes and when each is due for its next probe. Pure: time comes from `now`. */
export class NodeHealth {
  private readonly records = new Map<string, NodeRecord>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  /** Called when a node goes down (the prober arms its timer). */
  onDown: () => void = () => undefined;

  /** @param now - clock in milliseconds (injected so tests can drive time) */
  constructor(
    private readonly now: () => number,
    options: NodeHealthOptions = {},
  ) {
    this.baseMs = options.downBaseMs ?? 500;
    this.maxMs = options.downMaxMs ?? 5000;
  }

  /** True unless the node failed and has not answered a probe since, or the cluster reports it dead or left. */
  isUp(node: string): boolean {
    const r = this.records.get(node);
    return !r || (!r.failed && !r.reportedDown);
  }

  /** Whether the cluster's latest view reports `node` dead or left. */
  isReportedDown(node: string): boolean {
    return this.records.get(node)?.reportedDown ?? false;
  }

  /** Records a failure seen by a request: the node is down until a probe answers. */
  markDown(node: string): void {
    const r = this.entry(node);
    if (r.failed) return; // concurrent failures of one outage count once
    const wasUp = !r.reportedDown;
    r.failed = true;
    if (wasUp) {
      r.probeAt = this.now() + this.baseMs;
      this.onDown();
    }
  }

  /** Records an answer to a request: the node works (the cluster's view of it is kept). */
  markUp(node: string): void {
    const r = this.records.get(node);
    if (!r) return;
    r.failed = false;
    if (!r.reportedDown) this.records.delete(node);
  }

  /** Applies a node's report of the cluster's view: `dead` and `left` are down; `suspect` is still up, as for the nodes' own routing. */
  report(node: string, liveness: ReportedLiveness): void {
    const down = liveness === 'dead' || liveness === 'left';
    const r = this.records.get(node);
    if (!down) {
      if (r) {
        r.reportedDown = false;
        if (!r.failed) this.records.delete(node);
      }
      return;
    }
    const e = r ?? this.entry(node);
    const wasUp = !e.reportedDown && !e.failed;
    e.reportedDown = true;
    if (wasUp) {
      e.probeAt = this.now() + this.baseMs;
      this.onDown();
    }
  }

  /** A probe of `node` is leaving: no other probe is due before it could have answered. */
  probeStarted(node: string, timeoutMs: number): void {
    const r = this.records.get(node);
    if (r) r.probeAt = this.now() + timeoutMs;
  }

  /** A probe of `node` answered: it is up again, unless the cluster still reports it down. */
  probeAnswered(node: string): void {
    const r = this.records.get(node);
    if (!r) return;
    r.failed = false;
    if (!r.reportedDown) {
      this.records.delete(node);
      return;
    }
    this.backOff(r);
  }

  /** A probe of `node` failed or timed out: the next one waits longer. */
  probeFailed(node: string): void {
    const r = this.records.get(node);
    if (r) this.backOff(r);
  }

  /** Down nodes whose probe is due now. */
  dueForProbe(): string[] {
    const now = this.now();
    return [...this.records].filter(([, r]) => (r.failed || r.reportedDown) && r.probeAt <= now).map(([node]) => node);
  }

  /** When the next probe of any down node is due, or undefined when every node is up. */
  nextProbeAt(): number | undefined {
    let at: number | undefined;
    for (const r of this.records.values()) if ((r.failed || r.reportedDown) && (at === undefined || r.probeAt < at)) at = r.probeAt;
    return at;
  }

  /** Of `nodes` (all down), the one due for a probe first: the best bet when nothing is up. */
  soonestUp(nodes: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestAt = Infinity;
    for (const n of nodes) {
      const at = this.records.get(n)?.probeAt ?? 0;
      if (at < bestAt) {
        best = n;
        bestAt = at;
      }
    }
    return best;
  }

  private backOff(r: NodeRecord): void {
    r.failures++;
    r.probeAt = this.now() + Math.min(this.maxMs, this.baseMs * Math.pow(2, Math.min(30, r.failures)));
  }

  private entry(node: string): NodeRecord {
    let r = this.records.get(node);
    if (!r) {
      r = { failed: false, reportedDown: false, failures: 0, probeAt: 0 };
      this.records.set(node, r);
    }
    return r;
  }
}

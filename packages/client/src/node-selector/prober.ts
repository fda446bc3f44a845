// Background probes of down nodes: a node marked down gets no user request until it answers one.
// One timer, armed only while some node is down (an idle, healthy client sets none), and at most one
// probe in flight per node.
import type { NodeHealth } from './health.js';

/** Runs `fn` after `ms`; returns a cancel function. */
export type Schedule = (fn: () => void, ms: number) => () => void;

/** What the prober needs from the client. */
export interface ProberIo {
  /** A cheap call to `node` that resolves once it answered (GetRouting for the ring version the client has). */
  probe(node: string, timeoutMs: number): Promise<void>;
  /** A node the cluster reports dead or left answered a probe: a fresh liveness view is worth fetching. */
  reportedDownAnswered(node: string): void;
}

/** A timer that keeps no process alive (Node's `unref`; browsers have nothing to unref). */
export const backgroundTimer: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  (t as { unref?: () => void }).unref?.();
  return () => clearTimeout(t);
};

/** Probes every down node when its probe is due (see {@link NodeHealth}). */
export class Prober {
  private cancel: (() => void) | undefined;
  private armedFor = Infinity;
  private readonly probing = new Set<string>();
  private closed = false;

  constructor(
    private readonly health: NodeHealth,
    private readonly io: ProberIo,
    private readonly options: { readonly timeoutMs: number; readonly now: () => number; readonly schedule?: Schedule },
  ) {}

  /** Call after a node may have gone down: arms the timer for the earliest probe due. */
  kick(): void {
    if (this.closed) return;
    const at = this.health.nextProbeAt();
    if (at === undefined || at >= this.armedFor) return;
    this.cancel?.();
    this.armedFor = at;
    this.cancel = (this.options.schedule ?? backgroundTimer)(() => this.run(), Math.max(0, at - this.options.now()));
  }

  /** Stops probing. */
  close(): void {
    this.closed = true;
    this.cancel?.();
  }

  private run(): void {
    this.cancel = undefined;
    this.armedFor = Infinity;
    if (this.closed) return;
    for (const node of this.health.dueForProbe()) {
      if (this.probing.has(node)) continue;
      this.probing.add(node);
      this.health.probeStarted(node, this.options.timeoutMs);
      this.io.probe(node, this.options.timeoutMs).then(
        () => {
          this.health.probeAnswered(node);
          if (this.health.isReportedDown(node)) this.io.reportedDownAnswered(node);
        },
        () => this.health.probeFailed(node),
      ).finally(() => {
        this.probing.delete(node);
        this.kick();
      });
    }
    this.kick();
  }
}

import { INFINITY, floor, log, log10, max, min } from './fast-globals.js';
/**
 * Suspicion timer with Lifeguard's confirmation-driven shortening: it starts at `maxMs` and falls
 * logarithmically towards `minMs` as independent members confirm the suspicion, so a node isolated
 * from only one accuser has plenty of time to refute while a truly failed one is declared dead fast.
 */
export class Suspicion {
  private readonly confirmations = new Set<string>();
  private deadline: number;
  private notBefore = -INFINITY;
  /** The last-chance probe has been started; the next expiry is final. */
  finalProbe = false;

  /**
   * @param incarnation the suspected incarnation; a suspicion only concerns that incarnation.
   * @param accuser who raised it (does not count as a confirmation).
   * @param expectedConfirmations confirmations after which the timeout reaches `minMs`.
   */
  constructor(
    readonly incarnation: number,
    private readonly accuser: string,
    private readonly expectedConfirmations: number,
    private readonly startMs: number,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {
    this.deadline = startMs + this.timeoutMs();
  }

  /** Records an accusation from `from`; returns true if it was a new, independent confirmation. */
  confirm(from: string): boolean {
    if (from === this.accuser || this.confirmations.has(from)) return false;
    if (this.confirmations.size >= this.expectedConfirmations) return false;
    this.confirmations.add(from);
    this.deadline = this.startMs + this.timeoutMs();
    return true;
  }

  /** When the member is to be declared dead. */
  get deadlineMs(): number {
    return max(this.deadline, this.notBefore);
  }

  /** Keeps the timer from firing before `atMs` (used after a local stall). */
  postpone(atMs: number): void {
    this.notBefore = atMs;
  }

  /** Number of independent confirmations seen. */
  get confirmationCount(): number {
    return this.confirmations.size;
  }

  private timeoutMs(): number {
    const k = this.expectedConfirmations;
    if (k < 1) return this.minMs;
    const fraction = log(this.confirmations.size + 1) / log(k + 1);
    return max(this.minMs, this.maxMs - fraction * (this.maxMs - this.minMs));
  }
}

/**
 * Shortest suspicion timeout for a cluster of `clusterSize`: it grows with log10(n) because an
 * accusation takes about that many gossip hops to reach the accused and its refutation to come back.
 */
export function suspicionMinTimeoutMs(suspicionMultiplier: number, clusterSize: number, probeIntervalMs: number): number {
  const nodeScale = max(1, log10(max(1, clusterSize)));
  return suspicionMultiplier * nodeScale * probeIntervalMs;
}

/**
 * Independent confirmations (members other than the accuser and the accused) after which a
 * suspicion's timer reaches its minimum: suspicionMultiplier - 2, as in memberlist, but never more
 * than the n - 2 members that can give one. memberlist uses 0 when fewer exist, which in a 3-member
 * cluster lets a single accuser (say, one that cannot receive replies) set the shortest timeout; here
 * one confirmation is still required there.
 */
export function expectedConfirmations(suspicionMultiplier: number, clusterSize: number): number {
  return max(0, min(floor(suspicionMultiplier - 2), clusterSize - 2));
}

// Where peers are not authenticated (no mutual TLS), a ring that a request header or a gossip
// message carries may come from anyone who can reach the port: a well-formed forged transition
// passes every plausibility check (issue #17). There, such a ring is only a hint that a newer one
// exists: this node pulls the ring itself, by an RPC it makes to the claimant at the address gossip
// knows, and adopts what the claimant serves (vetted by the gate like any ring). Every ring a node
// holds was thus made by a claimant (the claimant publishes only rings it made, or pulled). The
// claimant itself, or a node that knows no other live ring member, asks the other live members in
// id order instead: after a claimant failover the next claimant must still learn the ring with the
// transition its predecessor began, and a node whose lower id comes back up must catch up.
//
// One pull at a time; a pull that finds nothing newer is retried after a doubling delay (bounded in
// count), and hints meanwhile only raise the version wanted, so a stream of forged hints costs at
// most one small RPC per delay; when the retries of a hint run out, hints are ignored for the
// longest delay.
import type { Timers } from '../clock/timers.js';

/** A ring a peer served: its encoded bytes and version. */
export interface ServedRing {
  readonly bytes: Uint8Array;
  readonly version: number;
}

export interface RingPullDeps {
  selfId: string;
  /** This node's ring version now. */
  currentVersion: () => number;
  /** The claimant as this node sees it. */
  claimantId: () => string;
  /** Ring members, then other gossip members, that are up (other than this node), in id order within each group. */
  othersUp: () => readonly string[];
  /** Asks `nodeId` for its ring; undefined when it has none newer than ours. Rejects when unreachable. */
  fetch: (nodeId: string) => Promise<ServedRing | undefined>;
  /** Vets and adopts a served ring; returns whether it was adopted. */
  adopt: (ring: ServedRing, from: string) => boolean;
  timers: Timers;
  debug: (msg: string, fields: Record<string, unknown>) => void;
}

export interface RingPullOptions {
  /** First retry delay, ms; doubles up to {@link maxDelayMs}. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Retries of one hint before waiting for the next hint. */
  maxRetries: number;
}

export const DEFAULT_RING_PULL: RingPullOptions = { minDelayMs: 200, maxDelayMs: 5_000, maxRetries: 8 };

export class RingPuller {
  private wanted = 0;
  private pulling = false;
  private retries = 0;
  private delayMs: number;
  private cancelRetry: (() => void) | undefined;
  /** After the retries of a hint ran out, hints are ignored until then (monotonic ms). */
  private quietUntil = -Infinity;
  private stopped = false;

  constructor(
    private readonly d: RingPullDeps,
    private readonly o: RingPullOptions = DEFAULT_RING_PULL,
  ) {
    this.delayMs = o.minDelayMs;
  }

  /** Something claims the cluster's ring is at `version`. */
  hint(version: number): void {
    if (this.stopped || version <= this.d.currentVersion() || this.d.timers.monotonicMs() < this.quietUntil) return;
    if (version > this.wanted) {
      this.wanted = version;
      this.retries = 0;
    }
    // A retry is already scheduled (or a pull runs): it will look for the highest version wanted.
    if (this.pulling || this.cancelRetry !== undefined) return;
    void this.pull();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
  }

  /** The nodes to ask, in order: the claimant, or (for the claimant itself) the other live members. */
  private sources(): readonly string[] {
    const claimant = this.d.claimantId();
    if (claimant !== this.d.selfId) return [claimant];
    return this.d.othersUp();
  }

  private async pull(): Promise<void> {
    this.pulling = true;
    try {
      for (const id of this.sources()) {
        const served = await this.d.fetch(id).catch((err: unknown) => {
          this.d.debug('cannot pull the ring', { from: id, error: err instanceof Error ? err.message : String(err) });
          return undefined;
        });
        if (served !== undefined && served.version > this.d.currentVersion() && this.d.adopt(served, id)) break;
      }
    } finally {
      this.pulling = false;
    }
    if (this.stopped) return;
    if (this.d.currentVersion() >= this.wanted) {
      this.delayMs = this.o.minDelayMs;
      this.retries = 0;
      return;
    }
    if (this.retries >= this.o.maxRetries) {
      // Nobody serves the version hinted at (a forged hint, or a claimant that cannot be reached):
      // forget it, and let the next hint in after one more delay.
      this.wanted = 0;
      this.retries = 0;
      this.quietUntil = this.d.timers.monotonicMs() + this.o.maxDelayMs;
      return;
    }
    this.retries++;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.o.maxDelayMs, this.delayMs * 2);
    this.cancelRetry = this.d.timers.after(delay, () => {
      this.cancelRetry = undefined;
      if (!this.stopped && !this.pulling) void this.pull();
    });
  }
}

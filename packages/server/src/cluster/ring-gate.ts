// The one door through which a ring from a peer enters this node: replica headers, gossip
// (piggybacked and push-pull) and pulls all come through here, are vetted (ring-plausibility.ts),
// and a refusal is counted and logged (at most once a minute per reason, as a peer may repeat it on
// every message). A newer ring from a sender that is not authenticated (no mutual TLS; for gossip,
// no gossip key either) is not adopted: it is only a hint, and the node pulls the ring from the
// claimant itself (ring-pull.ts).
import type { Counter } from 'prom-client';
import { vetRing, type SuccessorFacts } from './ring-plausibility.js';
import type { RingState } from './ring-state.js';

/** Where an offered ring came from (the metric's label). */
export type RingSource = 'gossip' | 'replica' | 'pull';

export interface RingGateOptions extends SuccessorFacts {
  ring: RingState;
  refused: Counter<'source'>;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  now: () => number;
  /** Whether rings from `source` come from authenticated cluster members. */
  trusted: (source: RingSource) => boolean;
  /** A newer ring, from a sender that is not authenticated, is at `version`. */
  hint: (version: number) => void;
  /**
   * A trusted ring at `version` dropped this node without a leave: it was force-removed (the
   * node must stop serving its old ring, whose copies may hold deletes the cluster has reaped).
   */
  removed: (version: number) => void;
}

const LOG_INTERVAL_MS = 60_000;
const MAX_LOGGED_REASONS = 100;

export class RingGate {
  private readonly loggedAt = new Map<string, number>();

  constructor(private readonly o: RingGateOptions) {}

  /** Whether `bytes`, declared at `version`, may be taken in (newer and plausible, or harmless because not newer). */
  vet(bytes: Uint8Array, version: number, source: RingSource): boolean {
    const { ring } = this.o;
    const verdict = vetRing(ring.current, ring.bytes, bytes, version, this.o);
    if (verdict.kind !== 'refused') return true;
    this.o.refused.labels(source).inc();
    this.log(source, verdict.reason, version);
    // Only the claimant's ring (or an authenticated member's) may tell this node it was removed;
    // anyone else's is a reason to ask the claimant.
    if (verdict.removed) {
      if (this.o.trusted(source)) this.o.removed(version);
      else this.o.hint(version);
    }
    return false;
  }

  /**
   * Whether `bytes` may be taken in as they are: {@link vet} lets them in, and they are not newer
   * or come from an authenticated sender. A newer ring from anyone else becomes a hint.
   */
  admit(bytes: Uint8Array, version: number, source: RingSource): boolean {
    if (!this.vet(bytes, version, source)) return false;
    if (version <= this.o.ring.current.version || this.o.trusted(source)) return true;
    this.o.hint(version);
    return false;
  }

  /** Adopts `bytes` when {@link admit} takes them in and they are newer. */
  offer(bytes: Uint8Array, version: number, source: RingSource): void {
    if (this.admit(bytes, version, source)) this.o.ring.adopt(bytes);
  }

  private log(source: RingSource, reason: string, version: number): void {
    const key = `${source}\u0000${reason}`;
    const now = this.o.now();
    if (now - (this.loggedAt.get(key) ?? -Infinity) < LOG_INTERVAL_MS) return;
    if (this.loggedAt.size >= MAX_LOGGED_REASONS) this.loggedAt.clear();
    this.loggedAt.set(key, now);
    this.o.warn('refusing a ring that cannot follow this node\'s', { source, version, reason, current: this.o.ring.current.version });
  }
}

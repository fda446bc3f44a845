import type { Gossip } from './messages.js';
import { ceil, log10 } from './fast-globals.js';

interface Pending {
  gossip: Gossip;
  size: number;
  transmits: number;
  /** Insertion order: among equally-sent items, the newest goes first. */
  order: number;
}

/**
 * Updates waiting to be piggybacked. Each is sent a bounded number of times (the retransmit limit,
 * ~lambda·log n, enough for epidemic spread to reach everyone with high probability) and the
 * least-sent go first, so a burst of news does not starve older items forever. A newer update about
 * the same subject (member id or metadata key) replaces the queued one: only the latest state matters.
 */
export class BroadcastQueue {
  private readonly items = new Map<string, Pending>();
  private counter = 0;

  /** Queues `gossip` under `subject`, replacing any pending update about the same subject. */
  enqueue(subject: string, gossip: Gossip, size: number): void {
    this.items.set(subject, { gossip, size, transmits: 0, order: this.counter++ });
  }

  get size(): number {
    return this.items.size;
  }

  /**
   * Takes updates fitting `maxBytes` for one message, counting a transmission for each and dropping
   * those that reached `transmitLimit`.
   */
  take(maxBytes: number, transmitLimit: number): Gossip[] {
    if (this.items.size === 0) return [];
    const candidates = [...this.items.entries()];
    if (candidates.length > 1) {
      candidates.sort(([, a], [, b]) => a.transmits - b.transmits || b.order - a.order);
    }
    const out: Gossip[] = [];
    let budget = maxBytes;
    for (const [subject, item] of candidates) {
      if (item.size > maxBytes) {
        // Can never ride on a message: dropped here, it still spreads by push-pull state sync.
        this.items.delete(subject);
        continue;
      }
      if (item.size > budget) continue;
      budget -= item.size;
      out.push(item.gossip);
      item.transmits++;
      if (item.transmits >= transmitLimit) this.items.delete(subject);
      if (budget < 8) break;
    }
    return out;
  }
}

/** Retransmit limit for a cluster of `clusterSize`: multiplier × ceil(log10(n + 1)). */
export function retransmitLimit(retransmitMultiplier: number, clusterSize: number): number {
  return retransmitMultiplier * ceil(log10(clusterSize + 1));
}

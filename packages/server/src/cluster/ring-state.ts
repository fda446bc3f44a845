// The ring this node routes with. Newer versions arrive by gossip (metadata key "ring") or in the
// header of a replica response; the node adopts only a higher version and persists it. Where a node
// is reached comes from gossip when gossip knows (a node restarted on a new address announces it),
// else from the ring, which records the address a node had when it entered.
import { createRing, decodeRing, encodeRing, type Ring } from '@quorumkv/ring';
import type { ClusterDefinition } from './cluster-definition.js';

export const RING_METADATA_KEY = 'ring';

export class RingState {
  private ring: Ring;
  private encoded: Uint8Array;
  private addresses = new Map<string, string>();
  /** Addresses gossip reported, by node id. */
  private readonly gossiped = new Map<string, string>();
  private readonly listeners = new Set<(ring: Ring, encoded: Uint8Array) => void>();
  private reachFrom: number;

  constructor(initial: Ring) {
    this.ring = initial;
    this.encoded = encodeRing(initial);
    this.reachFrom = initial.transition?.since ?? initial.version;
    this.index();
  }

  private index(): void {
    this.addresses = new Map(this.ring.nodes.map((n) => [n.id, n.address]));
  }

  /** The first ring of a cluster: every founder computes the same one from the same definition. */
  static create(definition: ClusterDefinition): RingState {
    const { partitions, n, nodes } = definition;
    return new RingState(createRing({ partitionCount: partitions, nodes, targetN: Math.min(n, nodes.length) }));
  }

  get current(): Ring {
    return this.ring;
  }

  get bytes(): Uint8Array {
    return this.encoded;
  }

  /** Adopts `bytes` when they hold a newer ring; returns true when it changed. Corrupt bytes throw. */
  adopt(bytes: Uint8Array): boolean {
    const ring = decodeRing(bytes);
    if (ring.version <= this.ring.version) return false;
    this.reachFrom = reachFrom(this.ring, ring);
    this.ring = ring;
    this.encoded = bytes;
    this.index();
    for (const l of this.listeners) l(ring, bytes);
    return true;
  }

  /** Adopts a ring this node made (the claimant's next version); returns true when it changed. */
  publish(next: Ring): boolean {
    return this.adopt(encodeRing(next));
  }

  /**
   * The oldest ring version whose routing reaches every node that holds (or is about to hold) a
   * key under the current ring: the version the current transition began at, or that ended in
   * the current ring. A write routed by an older ring may have missed a holder (see forwarding.ts).
   */
  get writesReachAllFrom(): number {
    return this.reachFrom;
  }

  onChange(listener: (ring: Ring, encoded: Uint8Array) => void): void {
    this.listeners.add(listener);
  }

  /** Where a ring node is reached now: the address gossip last reported for it, else the ring's. */
  addressOf(nodeId: string): string | undefined {
    return this.gossiped.get(nodeId) ?? this.addresses.get(nodeId);
  }

  /** Gossip reports `nodeId` at `address`. */
  noteAddress(nodeId: string, address: string): void {
    this.gossiped.set(nodeId, address);
  }
}

/** {@link RingState.writesReachAllFrom} once `next` follows `previous`. */
function reachFrom(previous: Ring, next: Ring): number {
  if (next.transition !== undefined) return next.transition.since;
  // The end of the transition `previous` was in: its writers already wrote to the new holders.
  const t = previous.transition;
  if (t !== undefined && next.version === previous.version + 1 && sameOwners(t.owners, next.owners)) return t.since;
  return next.version;
}

function sameOwners(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

// The ring this node routes with. Newer versions arrive by gossip (metadata key "ring") or in the
// header of a replica response; the node adopts only a higher version and persists it.
import { createRing, decodeRing, encodeRing, type Ring } from '@quorumkv/ring';

export const RING_METADATA_KEY = 'ring';

export class RingState {
  private ring: Ring;
  private encoded: Uint8Array;
  private addresses = new Map<string, string>();
  private readonly listeners = new Set<(ring: Ring, encoded: Uint8Array) => void>();

  constructor(initial: Ring) {
    this.ring = initial;
    this.encoded = encodeRing(initial);
    this.index();
  }

  private index(): void {
    this.addresses = new Map(this.ring.nodes.map((n) => [n.id, n.address]));
  }

  /** The ring of a brand-new cluster: every node computes the same one from the same inputs. */
  static create(partitionCount: number, nodes: { id: string; address: string; zone?: string }[], targetN: number): RingState {
    return new RingState(createRing({ partitionCount, nodes, targetN: Math.min(targetN, nodes.length) }));
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
    this.ring = ring;
    this.encoded = bytes;
    this.index();
    for (const l of this.listeners) l(ring, bytes);
    return true;
  }

  onChange(listener: (ring: Ring, encoded: Uint8Array) => void): void {
    this.listeners.add(listener);
  }

  /** Address of a ring node. */
  addressOf(nodeId: string): string | undefined {
    return this.addresses.get(nodeId);
  }
}

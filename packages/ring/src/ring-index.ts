import type { Ring } from './types.js';

/** Integer view of a ring used by claim and preference lists: nodes by index, zones by index. */
export interface RingIndex {
  /** Node ids in ring order (sorted by id). */
  readonly ids: readonly string[];
  readonly indexOf: ReadonlyMap<string, number>;
  /** Zone index of each node. */
  readonly zoneOf: Int32Array;
  /** Owner node index of each partition. */
  readonly owner: Int32Array;
}

const cache = new WeakMap<Ring, RingIndex>();

/** The integer view of `ring`, computed once per ring value. */
export function indexRing(ring: Ring): RingIndex {
  let index = cache.get(ring);
  if (index === undefined) {
    const ids = ring.nodes.map((n) => n.id);
    const indexOf = new Map(ids.map((id, i) => [id, i] as const));
    const zoneIds = new Map<string, number>();
    const zoneOf = Int32Array.from(ring.nodes, (n) => {
      let z = zoneIds.get(n.zone);
      if (z === undefined) {
        z = zoneIds.size;
        zoneIds.set(n.zone, z);
      }
      return z;
    });
    const owner = Int32Array.from(ring.owners, (id) => indexOf.get(id)!);
    index = { ids, indexOf, zoneOf, owner };
    cache.set(ring, index);
  }
  return index;
}

// Forwarding (Riak's answer to writes that race an ownership change). A coordinator that has not
// adopted the newest ring routes a write to the holders its ring names; a new owner whose handoff
// scan already passed the key, or the owners after the old ones dropped their copies, never see
// it. So a replica that receives a write routed by an older ring than the one all writers of its
// own ring use forwards it, durably as hints, to every holder its ring names. And a record meant
// for a node that holds nothing of the key's partition any more (a hint for a node that left, or
// for one that gave the partition up) goes to the partition's holders instead of being kept where
// nobody reads it (and where a later drop or a reaped tombstone would make it a loss or a ghost).
// Hints kept for a node the ring no longer names are redirected the same way (hint-admission.ts).
import { replicaSets, type Ring } from '@quorumkv/ring';
import { possibleHolders } from '../cluster/buckets.js';

/** What a replica does with a write, given who routed it by which ring. */
export interface ForwardDecision {
  /** Merge it into this node's store. */
  keep: boolean;
  /** Store hints for these nodes (never this one). */
  to: readonly string[];
}

export interface ForwardQuestion {
  selfId: string;
  ring: Ring;
  /** {@link RingState.writesReachAllFrom}: writes routed by this version or newer reached every holder. */
  reachAllFrom: number;
  /** The ring version the write was routed by; undefined when unknown (kept as before). */
  senderVersion: number | undefined;
  partition: number;
  /** The key's bucket's n. */
  n: number;
}

/**
 * Where a replica write goes. Routed by a ring newer than this node's: kept (this node's ring is
 * the stale one). Otherwise:
 * - a node that may no longer hold the partition forwards it to the holders instead of keeping it;
 * - a write routed by a ring older than `reachAllFrom` is kept and forwarded to the other holders;
 * - a node giving the partition up in the current transition (a handoff source: its scan may have
 *   passed the key) keeps it and forwards it to the nodes gaining the partition; writes routed by
 *   the transition's ring reached them already, but a delivered hint made earlier did not.
 */
export function forwardDecision(q: ForwardQuestion): ForwardDecision {
  const { ring, senderVersion, selfId } = q;
  if (senderVersion === undefined || senderVersion > ring.version || q.partition >= ring.partitionCount) return KEEP;
  const keep = mayHold(ring, q.partition, selfId);
  const sets = replicaSets(ring, q.partition, q.n);
  const others = (): string[] => [...new Set([...sets.current, ...sets.next])].filter((id) => id !== selfId);
  if (!keep || senderVersion < q.reachAllFrom) return { keep, to: others() };
  if (sets.next.includes(selfId)) return KEEP;
  return { keep, to: sets.current.includes(selfId) ? sets.pending : others() };
}

const KEEP: ForwardDecision = Object.freeze({ keep: true, to: Object.freeze([]) as readonly string[] });

/** Per ring and node: whether it may hold each partition (asked on every replica write, so cached). */
const holding = new WeakMap<Ring, Map<string, (boolean | undefined)[]>>();

function mayHold(ring: Ring, partition: number, selfId: string): boolean {
  let byNode = holding.get(ring);
  if (byNode === undefined) {
    byNode = new Map();
    holding.set(ring, byNode);
  }
  let table = byNode.get(selfId);
  if (table === undefined) {
    table = new Array<boolean | undefined>(ring.partitionCount);
    byNode.set(selfId, table);
  }
  return (table[partition] ??= possibleHolders(ring, partition).includes(selfId));
}

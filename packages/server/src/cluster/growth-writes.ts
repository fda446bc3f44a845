// Writes while a cluster grows past the size its ring had: a ring of fewer nodes than n keeps
// fewer copies of each key (a bucket's n is clamped to the cluster size), and a transition copies
// data only for the replica counts of the ring it starts from. So a write made during the change
// from a one-node ring to three nodes (n = 3) gets one copy, and when the change finishes two of
// its three replicas lack it: a read at r = 2 from them misses an acknowledged write.
import { targetRing, type Ring } from '@quorumkv/ring';

/**
 * Why client writes are refused under `ring` (one line), or undefined: while its transition grows
 * the cluster from fewer active nodes than the write quorum the grown ring asks for (`w`, at most
 * `n` and the grown size), a write cannot reach as many copies as that quorum counts on.
 */
export function growthRefusal(ring: Ring, n: number, w: number): string | undefined {
  if (ring.transition === undefined) return undefined;
  const now = ring.nodes.filter((x) => x.state === 'active').length;
  const after = targetRing(ring)!.nodes.filter((x) => x.state === 'active').length;
  const wAfter = Math.min(w, n, after);
  if (now >= wAfter) return undefined;
  return `the cluster grows from ${now} to ${after} nodes (ring version ${ring.version}): a write now would get ${now} of the ${wAfter} copies the grown ring's w counts on; writes resume once the change finishes`;
}

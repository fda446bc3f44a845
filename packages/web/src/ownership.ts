/** One node's share of the ring, as the dashboard's ring view lists it. */
export interface OwnershipRow {
  nodeId: string;
  partitions: number;
  /** Share of all partitions, 0 to 1. */
  share: number;
  /** Partitions owned relative to a fair (weight-proportional) share: 1 is exact. */
  balance: number;
}

/** The parts of the ring (as GetRouting's RingInfo carries it) that the view needs. */
export interface RingShape {
  /** Owner of each partition, as an index into `nodes`. */
  owners: readonly number[];
  nodes: readonly { id: string; weight: number }[];
}

/** Partitions per node with each node's balance against its weight-proportional share. */
export function ownershipTable(ring: RingShape): { rows: OwnershipRow[]; maxOverMean: number } {
  const counts = new Array<number>(ring.nodes.length).fill(0);
  for (const o of ring.owners) {
    if (o < 0 || o >= counts.length) throw new RangeError(`owner index ${o} has no node (ring has ${counts.length})`);
    counts[o]!++;
  }
  const total = ring.owners.length;
  const totalWeight = ring.nodes.reduce((s, n) => s + Math.max(0, n.weight), 0) || 1;
  const rows = ring.nodes.map((n, i) => {
    const fair = (total * Math.max(0, n.weight)) / totalWeight;
    return { nodeId: n.id, partitions: counts[i]!, share: total ? counts[i]! / total : 0, balance: fair ? counts[i]! / fair : 0 };
  });
  const mean = total / (ring.nodes.length || 1);
  const maxOverMean = mean ? Math.max(0, ...counts) / mean : 0;
  return { rows: rows.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)), maxOverMean };
}

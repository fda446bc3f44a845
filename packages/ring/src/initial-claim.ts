import { Layout, NODE_CONFLICT } from './spread.js';

// Globals aliased: inside vm contexts (jest) each global lookup is an interceptor call.
const INFINITY = Infinity;

/** Swap evaluations allowed per partition when repairing a fresh claim (bounds infeasible cases). */
const REPAIR_BUDGET_PER_PARTITION = 8;

/**
 * The claim of a new ring: partitions are dealt in order 0..Q-1, each to the node that
 * (1) would not repeat a node, then a zone, within the last targetN partitions (wrapping to the
 * start near the end), and (2) is furthest behind its share (smooth weighted round-robin), ties by
 * node order. With equal weights this is round-robin over nodes sorted by id, interleaved by zone.
 * Whatever the wrap-around leaves in conflict is then fixed by swapping owners.
 *
 * @param zoneOf zone index per node (nodes sorted by id)
 * @param targets partitions per node (sum = Q)
 * @returns owner node index per partition
 */
export function initialClaim(partitionCount: number, zoneOf: Int32Array, targets: Int32Array, targetN: number): Int32Array {
  const owner = new Int32Array(partitionCount).fill(-1);
  const layout = new Layout(owner, zoneOf, targetN);
  const m = targets.length;
  const assigned = new Int32Array(m);
  for (let p = 0; p < partitionCount; p++) {
    let best = -1;
    let bestCost = INFINITY;
    let bestLag = -INFINITY;
    for (let x = 0; x < m; x++) {
      if (assigned[x]! >= targets[x]!) continue;
      const cost = layout.cost(p, x);
      const lag = (targets[x]! * (p + 1)) / partitionCount - assigned[x]!;
      if (cost < bestCost || (cost === bestCost && lag > bestLag + 1e-9)) {
        best = x;
        bestCost = cost;
        bestLag = lag;
      }
    }
    owner[p] = best;
    assigned[best]! += 1;
  }

  const owners = new Set<number>();
  const zones = new Set<number>();
  for (let x = 0; x < m; x++) {
    if (targets[x]! > 0) {
      owners.add(x);
      zones.add(zoneOf[x]!);
    }
  }
  const fixZones = zones.size >= targetN;
  const fixNodes = owners.size >= targetN;
  if (fixNodes) {
    const all = Int32Array.from({ length: partitionCount }, (_, p) => p);
    layout.repairBySwaps(all, (cost) => cost >= NODE_CONFLICT || (fixZones && cost > 0), REPAIR_BUDGET_PER_PARTITION * partitionCount);
  }
  return owner;
}

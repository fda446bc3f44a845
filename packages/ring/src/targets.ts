/**
 * How many partitions each node should own: its weight's share of Q, rounded to the floor or
 * the ceiling (so always within one partition of proportional) so the counts sum to exactly Q (largest-remainder apportionment).
 *
 * The extra "ceiling" units go first to nodes that already hold more than their floor, so a
 * membership change never takes a partition from a node only to hand another one back to it:
 * that is what keeps plans minimal. Then to the largest remainders, then by node order.
 *
 * @param weights per node; 0 means "owns nothing" (leaving nodes)
 * @param current partitions each node owns now (all zeros for a new ring)
 */
export function computeTargets(partitionCount: number, weights: readonly number[], current: ArrayLike<number>): Int32Array {
  const m = weights.length;
  const targets = new Int32Array(m);
  let total = 0;
  for (const w of weights) total += w;
  if (total <= 0) return targets;
  const remainders: number[] = [];
  let assigned = 0;
  for (let i = 0; i < m; i++) {
    const quota = (partitionCount * weights[i]!) / total;
    const floor = Math.floor(quota);
    targets[i] = floor;
    assigned += floor;
    remainders.push(quota - floor);
  }
  const order = [...Array(m).keys()]
    .filter((i) => weights[i]! > 0)
    .sort((a, b) => {
      // A zero remainder means the quota is exact: an extra unit there only as a last resort
      // (it cannot happen unless rounding error made the remainders sum above their true total).
      const aExact = remainders[a]! > 1e-9 ? 0 : 1;
      const bExact = remainders[b]! > 1e-9 ? 0 : 1;
      if (aExact !== bExact) return aExact - bExact;
      const aHolds = current[a]! > targets[a]! ? 1 : 0;
      const bHolds = current[b]! > targets[b]! ? 1 : 0;
      if (aHolds !== bHolds) return bHolds - aHolds;
      if (remainders[a] !== remainders[b]) return remainders[b]! - remainders[a]!;
      return a - b;
    });
  for (let k = 0; assigned < partitionCount; k = (k + 1) % order.length) {
    targets[order[k]!]! += 1;
    assigned++;
  }
  return targets;
}

import type { SpreadViolations } from './types.js';

/**
 * Cost of one node repeated within a window. It dwarfs any count of zone repeats, so claim
 * never trades a distinct-node window for distinct zones.
 */
export const NODE_CONFLICT = 1 << 20;

/**
 * A mutable assignment of partitions to node indices (-1 = vacant) with the spread rule of
 * claim: partitions closer than `window` (targetN) should have distinct nodes, then zones.
 */
export class Layout {
  readonly mask: number;
  constructor(
    readonly owner: Int32Array,
    readonly zoneOf: Int32Array,
    readonly window: number,
  ) {
    this.mask = owner.length - 1;
  }

  /** Conflicts node `x` would have at partition `p` with its neighbours (p's own owner ignored). */
  cost(p: number, x: number): number {
    const { owner, zoneOf, mask } = this;
    const zone = zoneOf[x]!;
    let c = 0;
    for (let d = 1; d < this.window; d++) {
      const a = owner[(p - d) & mask]!;
      if (a === x) c += NODE_CONFLICT;
      else if (a >= 0 && zoneOf[a] === zone) c += 1;
      const b = owner[(p + d) & mask]!;
      if (b === x) c += NODE_CONFLICT;
      else if (b >= 0 && zoneOf[b] === zone) c += 1;
    }
    return c;
  }

  /** Conflicts of the current owner of `p` (0 for a vacant partition). */
  ownCost(p: number): number {
    const x = this.owner[p]!;
    return x < 0 ? 0 : this.cost(p, x);
  }

  /**
   * Tries to lower the total conflict cost by swapping the owners of two partitions (which keeps
   * every node's count). Only partitions in `candidates` are touched; `budget` bounds the work
   * so rings where the rule cannot be met (fewer nodes than targetN) stay cheap.
   */
  repairBySwaps(candidates: ArrayLike<number>, worthFixing: (cost: number) => boolean, budget: number): void {
    const { owner } = this;
    for (let pass = 0; pass < 3 && budget > 0; pass++) {
      let improved = false;
      for (let i = 0; i < candidates.length && budget > 0; i++) {
        const p = candidates[i]!;
        const x = owner[p]!;
        const costP = this.cost(p, x);
        if (!worthFixing(costP)) continue;
        for (let j = 0; j < candidates.length && budget > 0; j++) {
          const q = candidates[j]!;
          const y = owner[q]!;
          if (y === x) continue;
          budget--;
          const before = costP + this.cost(q, y);
          owner[p] = y;
          owner[q] = x;
          if (this.cost(p, y) + this.cost(q, x) < before) {
            improved = true;
            break;
          }
          owner[p] = x;
          owner[q] = y;
        }
      }
      if (!improved) break;
    }
  }
}

/** Counts windows of `window` consecutive partitions (wrapping) that repeat a node or a zone. */
export function countViolations(owner: ArrayLike<number>, zoneOf: ArrayLike<number>, window: number): SpreadViolations {
  const q = owner.length;
  let node = 0;
  let zone = 0;
  for (let p = 0; p < q; p++) {
    let nodeRepeat = false;
    let zoneRepeat = false;
    for (let i = 0; i < window && !nodeRepeat; i++) {
      const a = owner[(p + i) % q]!;
      for (let j = i + 1; j < window; j++) {
        const b = owner[(p + j) % q]!;
        if (a === b) {
          nodeRepeat = true;
          break;
        }
        if (zoneOf[a] === zoneOf[b]) zoneRepeat = true;
      }
    }
    if (nodeRepeat) node++;
    if (nodeRepeat || zoneRepeat) zone++;
  }
  return { node, zone };
}

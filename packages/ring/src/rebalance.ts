import { Layout, NODE_CONFLICT } from './spread.js';
import { fillVacancies } from './vacancy-matching.js';

// Globals aliased: inside vm contexts (jest) each global lookup is an interceptor call.
const INFINITY = Infinity;
const ceil = Math.ceil;

/** Swap evaluations allowed per moved partition when repairing the placement of vacated ones. */
const REPAIR_BUDGET_PER_MOVE = 64;

/**
 * Moves partitions, in place in `owner`, until every node owns exactly `targets[x]` partitions.
 *
 * Only two kinds of partitions move, which makes the move count the minimum for these targets:
 * those of nodes whose target is 0 (leaving), and the excess of nodes above target. They only go
 * to nodes below target, so no partition moves twice and no node both gives and takes.
 *
 * Where they go follows the spread rule (see {@link Layout}), in this order of preference:
 * 1. vacated partitions are matched to receivers (see {@link fillVacancies}); then pairs of them
 *    swap receivers while that lowers conflicts (still no extra move);
 * 2. donor partitions that are themselves in conflict go first, to a receiver that fixes it;
 * 3. a sweep over the ring hands out partitions on a schedule, so each receiver's new partitions
 *    are spread evenly rather than bunched at the start of the ring, when that repeats no node
 *    and no more zones than the current owner does;
 * 4. then any partition without a node conflict, then (only when unavoidable) any partition.
 */
export function rebalance(owner: Int32Array, zoneOf: Int32Array, targets: Int32Array, targetN: number): void {
  const q = owner.length;
  const m = targets.length;
  const layout = new Layout(owner, zoneOf, targetN);
  const count = new Int32Array(m);
  for (let p = 0; p < q; p++) count[owner[p]!]! += 1;

  const vacated: number[] = [];
  for (let p = 0; p < q; p++) {
    const x = owner[p]!;
    if (targets[x] === 0) {
      vacated.push(p);
      owner[p] = -1;
      count[x]! -= 1;
    }
  }
  const receivers = (): number[] => {
    const r: number[] = [];
    for (let x = 0; x < m; x++) if (count[x]! < targets[x]!) r.push(x);
    return r;
  };

  let open = receivers();
  const room = new Int32Array(m);
  for (const r of open) room[r] = targets[r]! - count[r]!;
  fillVacancies(layout, vacated, open, room);
  for (const p of vacated) count[owner[p]!]! += 1;
  if (vacated.length > 1) layout.repairBySwaps(vacated, (cost) => cost > 0, REPAIR_BUDGET_PER_MOVE * vacated.length);

  open = receivers();
  if (open.length === 0) return;
  const excess = (x: number): boolean => count[x]! > targets[x]!;
  const give = (p: number, to: number): void => {
    count[owner[p]!]! -= 1;
    owner[p] = to;
    count[to]! += 1;
  };

  // Pass 2: donor partitions in conflict, to a receiver that lowers their cost.
  for (let p = 0; p < q; p++) {
    const x = owner[p]!;
    if (!excess(x)) continue;
    const current = layout.cost(p, x);
    if (current === 0) continue;
    const r = pickReceiver(layout, p, open, targets, count, (cost) => cost < current);
    if (r >= 0) give(p, r);
  }

  // Pass 3: conflict-free moves on an even schedule per receiver.
  open = receivers();
  const need = open.map((r) => targets[r]! - count[r]!);
  const taken = open.map(() => 0);
  for (let p = 0; p < q && open.length > 0; p++) {
    if (!excess(owner[p]!)) continue;
    // Zone repeats that the current owner has too are accepted: with fewer zones than targetN
    // (or a single zone) they are unavoidable, and the move does not make the spread worse.
    const current = layout.cost(p, owner[p]!);
    let best = -1;
    let bestCost = INFINITY;
    let bestLag = -INFINITY;
    for (let i = 0; i < open.length; i++) {
      const due = (need[i]! * (p + 1)) / q;
      if (taken[i]! >= ceil(due - 1e-9) || taken[i]! >= need[i]!) continue;
      const cost = layout.cost(p, open[i]!);
      if (cost >= NODE_CONFLICT || cost > current) continue;
      const lag = due - taken[i]!;
      if (cost < bestCost || (cost === bestCost && lag > bestLag + 1e-9)) {
        best = i;
        bestCost = cost;
        bestLag = lag;
      }
    }
    if (best >= 0) {
      give(p, open[best]!);
      taken[best]! += 1;
    }
  }

  // Pass 4: whatever is still owed, first without node repeats, then unconditionally.
  for (const allowNodeConflict of [false, true]) {
    open = receivers();
    for (let p = 0; p < q && open.length > 0; p++) {
      if (!excess(owner[p]!)) continue;
      const r = pickReceiver(layout, p, open, targets, count, (cost) => allowNodeConflict || cost < NODE_CONFLICT);
      if (r >= 0) {
        give(p, r);
        if (count[r] === targets[r]) open = open.filter((x) => x !== r);
      }
    }
  }
}

/** The receiver with spare room and the lowest acceptable cost at p (ties: largest deficit, then order); -1 if none. */
function pickReceiver(
  layout: Layout,
  p: number,
  open: readonly number[],
  targets: Int32Array,
  count: Int32Array,
  acceptable: (cost: number) => boolean,
): number {
  let best = -1;
  let bestCost = INFINITY;
  let bestDeficit = -1;
  for (const r of open) {
    const deficit = targets[r]! - count[r]!;
    if (deficit <= 0) continue;
    const cost = layout.cost(p, r);
    if (!acceptable(cost)) continue;
    if (cost < bestCost || (cost === bestCost && deficit > bestDeficit)) {
      best = r;
      bestCost = cost;
      bestDeficit = deficit;
    }
  }
  return best;
}

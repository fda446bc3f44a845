import { type Layout, NODE_CONFLICT } from './spread.js';

// Globals aliased: inside vm contexts (jest) each global lookup is an interceptor call.
const INFINITY = Infinity;
const min = Math.min;
const max = Math.max;

/** Edge examinations allowed per (vacancy, receiver) pair; bounds the augmenting-path search. */
const SEARCH_BUDGET_PER_EDGE = 32;

/**
 * Gives each vacant partition (owner -1) to a receiver with room, as a bipartite b-matching
 * solved with augmenting paths (Kuhn): when every receiver acceptable for a partition is full,
 * one of that receiver's partitions is re-routed to another receiver to make room. Greedy
 * placement alone strands late partitions next to their only receivers with room left.
 *
 * Three rounds with a lower bar each: (1) no node repeat and the fewest zone repeats any receiver
 * could give, (2) no node repeat, (3) anything. Decrements `room`; fills `layout.owner`.
 */
export function fillVacancies(layout: Layout, vacancies: readonly number[], receivers: readonly number[], room: Int32Array): void {
  const { owner } = layout;
  const held = new Map<number, number[]>(receivers.map((r) => [r, []]));
  let budget = max(100_000, SEARCH_BUDGET_PER_EDGE * vacancies.length * receivers.length);

  const bestCost = (p: number): number => {
    let lowest = INFINITY;
    for (const r of receivers) lowest = min(lowest, layout.cost(p, r));
    return lowest;
  };
  const rounds: ((p: number, cost: number) => boolean)[] = [
    (p, cost) => cost < NODE_CONFLICT && cost <= bestCost(p),
    (_p, cost) => cost < NODE_CONFLICT,
    () => true,
  ];

  const place = (p: number, acceptable: (p: number, cost: number) => boolean, visited: Set<number>): boolean => {
    const options: { r: number; cost: number }[] = [];
    for (const r of receivers) {
      if (visited.has(r)) continue;
      budget--;
      const cost = layout.cost(p, r);
      if (acceptable(p, cost)) options.push({ r, cost });
    }
    options.sort((a, b) => a.cost - b.cost || room[b.r]! - room[a.r]! || a.r - b.r);
    for (const { r } of options) {
      if (room[r]! > 0) {
        owner[p] = r;
        room[r]! -= 1;
        held.get(r)!.push(p);
        return true;
      }
    }
    for (const { r } of options) {
      if (budget <= 0) return false;
      if (visited.has(r)) continue;
      visited.add(r);
      const list = held.get(r)!;
      for (let i = 0; i < list.length; i++) {
        const q = list[i]!;
        owner[q] = -1;
        if (place(q, acceptable, visited)) {
          list[i] = p;
          owner[p] = r;
          return true;
        }
        owner[q] = r;
      }
    }
    return false;
  };

  for (const acceptable of rounds) {
    for (const p of vacancies) {
      if (owner[p]! < 0 && budget > 0) place(p, acceptable, new Set());
    }
  }
  // Only reached when the search budget ran out: place what is left directly.
  for (const p of vacancies) {
    if (owner[p]! >= 0) continue;
    let best = -1;
    for (const r of receivers) {
      if (room[r]! > 0 && (best < 0 || layout.cost(p, r) < layout.cost(p, best))) best = r;
    }
    owner[p] = best;
    room[best]! -= 1;
  }
}

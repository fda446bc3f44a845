// The membership changes an operator staged and the ring they lead to. Joins, leaves and forced
// removals go through claim (which balances the ring); replacements and manual moves are then
// laid over its result exactly as asked. One target ring, so one transition, one plan to review.
import { apply, plan, planMove, planReplace, type Ring } from '@quorumkv/ring';

/** A node staged to join, as it described itself in its gossip member meta. */
export interface JoinCandidate {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  readonly weight: number;
}

/** A ring member staged to be replaced by a node that is not one. */
export interface StagedReplacement {
  readonly old: string;
  readonly node: JoinCandidate;
}

/**
 * Changes waiting for a commit, as gossiped (metadata "staged"). The fields after `leaves` are
 * absent when empty, so a node that predates them reads the entry it always wrote.
 */
export interface StagedChanges {
  readonly joins: readonly JoinCandidate[];
  readonly leaves: readonly string[];
  readonly replacements?: readonly StagedReplacement[];
  /** Dead members removed without a handoff from them. */
  readonly forceRemoves?: readonly string[];
  /** Manual moves: receiving node by partition (decimal string keys). */
  readonly moves?: Readonly<Record<string, string>>;
}

export const NOTHING_STAGED: StagedChanges = Object.freeze({ joins: [], leaves: [] });

/** The staged changes with the optional lists filled in (empty when absent). */
export function stagedLists(s: StagedChanges): Required<StagedChanges> {
  return { joins: s.joins, leaves: s.leaves, replacements: s.replacements ?? [], forceRemoves: s.forceRemoves ?? [], moves: s.moves ?? {} };
}

/** `s` with empty optional lists dropped (the gossiped form). */
export function compactStaged(s: StagedChanges): StagedChanges {
  const l = stagedLists(s);
  return {
    joins: l.joins,
    leaves: l.leaves,
    ...(l.replacements.length > 0 ? { replacements: l.replacements } : {}),
    ...(l.forceRemoves.length > 0 ? { forceRemoves: l.forceRemoves } : {}),
    ...(Object.keys(l.moves).length > 0 ? { moves: l.moves } : {}),
  };
}

export function isNothingStaged(s: StagedChanges): boolean {
  const l = stagedLists(s);
  return l.joins.length + l.leaves.length + l.replacements.length + l.forceRemoves.length + Object.keys(l.moves).length === 0;
}

/** Every node the staged changes name as going away (leaves, forced removals, replaced members). */
export function departing(s: StagedChanges): Set<string> {
  const l = stagedLists(s);
  return new Set([...l.leaves, ...l.forceRemoves, ...l.replacements.map((r) => r.old)]);
}

/** Every node the staged changes bring in (joins and replacements). */
export function arriving(s: StagedChanges): Set<string> {
  const l = stagedLists(s);
  return new Set([...l.joins.map((j) => j.id), ...l.replacements.map((r) => r.node.id)]);
}

/** Manual moves grouped by receiving node, partitions ascending. */
export function movesByNode(s: StagedChanges): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [p, to] of Object.entries(stagedLists(s).moves)) out.set(to, [...(out.get(to) ?? []), Number(p)]);
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/**
 * The ring the staged changes lead to from `ring` (versions along the way are scratch: only its
 * owners, members and targetN are used, by beginTransition). `targetN(activeAfter)` gives the
 * targetN for the number of active members after the joins and leaves.
 * @throws RingError when the ring package refuses a step (unknown node, partition out of range...)
 */
export function stagedTarget(ring: Ring, staged: StagedChanges, targetN: (activeAfter: number) => number): Ring {
  const l = stagedLists(staged);
  let target = ring;
  const leave = [...l.leaves, ...l.forceRemoves];
  if (l.joins.length > 0 || leave.length > 0) {
    const activeAfter = ring.nodes.filter((n) => n.state === 'active').length + l.joins.length - leave.length;
    target = apply(ring, plan(ring, { join: l.joins, leave, targetN: targetN(activeAfter) }));
  }
  for (const r of l.replacements) target = apply(target, planReplace(target, r.old, r.node));
  for (const [to, partitions] of movesByNode(staged)) target = apply(target, planMove(target, partitions, to));
  return target;
}

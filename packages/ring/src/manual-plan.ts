// Plans an operator dictates instead of claim computing them: a node replaced by another, and
// partitions moved by hand. They are RingPlans like claim's, so they are reviewed, begun as a
// transition and applied the same way.
import { describePlan, type RingPlan } from './claim.js';
import { DuplicateNodeError, RingArgumentError, UnknownNodeError } from './errors.js';
import { normalizeNode, sortNodes } from './ring-value.js';
import type { Ring, RingNode, RingNodeInit } from './types.js';

/**
 * Replaces member `oldId` by the new node `replacement`: every partition of the old node goes to
 * the new one and nothing else moves. The old node stays in the plan's nodes as `leaving` (owning
 * nothing), so finishing the transition removes it.
 * @throws UnknownNodeError (old is not a member), DuplicateNodeError (the new node is one),
 *   InvalidNodeError
 */
export function planReplace(ring: Ring, oldId: string, replacement: RingNodeInit): RingPlan {
  const old = ring.nodes.find((n) => n.id === oldId);
  if (old === undefined) throw new UnknownNodeError(oldId);
  const node = normalizeNode(replacement);
  if (ring.nodes.some((n) => n.id === node.id)) throw new DuplicateNodeError(node.id);
  const nodes: RingNode[] = ring.nodes.map((n) => (n.id === oldId ? Object.freeze({ ...n, state: 'leaving' as const }) : n));
  nodes.push(node);
  const owners = ring.owners.map((id) => (id === oldId ? node.id : id));
  return describePlan(ring, sortNodes(nodes), owners, ring.targetN);
}

/**
 * Moves `partitions` to the active member `to` (a manual reshard); partitions it already owns
 * are left alone. Balance is the operator's choice here: the plan's ownership shows its effect.
 * @throws UnknownNodeError (`to` is not a member), RingArgumentError (`to` is leaving, or a
 *   partition is out of range or repeated)
 */
export function planMove(ring: Ring, partitions: readonly number[], to: string): RingPlan {
  const node = ring.nodes.find((n) => n.id === to);
  if (node === undefined) throw new UnknownNodeError(to);
  if (node.state !== 'active') throw new RingArgumentError('to', `node ${JSON.stringify(to)} is ${node.state}: partitions move only to active nodes`);
  const owners = [...ring.owners];
  const seen = new Set<number>();
  for (const p of partitions) {
    if (!Number.isInteger(p) || p < 0 || p >= ring.partitionCount) {
      throw new RingArgumentError('partitions', `${String(p)} is not in 0..${ring.partitionCount - 1}`);
    }
    if (seen.has(p)) throw new RingArgumentError('partitions', `partition ${p} is listed twice`);
    seen.add(p);
    owners[p] = to;
  }
  return describePlan(ring, ring.nodes, owners, ring.targetN);
}

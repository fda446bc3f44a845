// Whether a ring offered by a peer (in a replica header, gossip or push-pull) can be a successor of
// the ring this node holds. Being of the same cluster is checked before (the cluster id on every
// internal message); this catches what a member, a buggy node or anyone who can reach the port in
// insecure mode could still send: a ring that would cut this node out of the cluster, hand data to
// nodes nobody has heard of, or whose declared version is not the one it holds. A single such ring,
// once adopted, is persisted and routes every write to nowhere (issue #17). Pure: the facts it needs
// are passed in.
import { decodeRing, type Ring } from '@quorumkv/ring';

/** What the check needs to know besides the two rings. */
export interface SuccessorFacts {
  /** This node's id. */
  selfId: string;
  /** Whether gossip has heard of this node id (in any state): joiners are known before a ring names them. */
  knows: (nodeId: string) => boolean;
}

/** The outcome of vetting an offered ring. */
export type RingVerdict =
  /** Newer and plausible: adopt it. */
  | { kind: 'successor'; ring: Ring }
  /** Not newer than the current ring (and no different ring at the same version): nothing to do. */
  | { kind: 'stale' }
  /**
   * Refused; `reason` says why, for the log. `removed`: the ring is refused only because it drops
   * this node without a leave; coming from the claimant, that means this node was force-removed.
   */
  | { kind: 'refused'; reason: string; removed?: boolean };

/**
 * Why `next` cannot follow `current`, or undefined when it can. Rules:
 * - Q is fixed for the life of a cluster;
 * - a ring drops this node only after a ring that had it `leaving` (a graceful leave), or in a
 *   transition whose target has it leaving (a committed leave or replacement, finished by
 *   whichever member is the claimant);
 * - every node a ring adds must be known to gossip already (a joiner joins gossip first).
 */
export function successorProblem(current: Ring, next: Ring, facts: SuccessorFacts): string | undefined {
  if (dropsSelf(current, next, facts.selfId)) return `drops this node (${facts.selfId}), which has not left`;
  return shapeProblem(current, next, facts);
}

/** The rules other than dropping this node: Q fixed, every added node known to gossip. */
function shapeProblem(current: Ring, next: Ring, facts: SuccessorFacts): string | undefined {
  if (next.partitionCount !== current.partitionCount) return `changes the partition count from ${current.partitionCount} to ${next.partitionCount}`;
  const had = new Set(current.nodes.map((n) => n.id));
  const unknown = next.nodes.filter((n) => !had.has(n.id) && !facts.knows(n.id)).map((n) => n.id);
  if (unknown.length > 0) return `names nodes no member has heard of: ${unknown.slice(0, 5).join(', ')}`;
  return undefined;
}

/** Whether `next` drops `selfId`, active in `current`, without a leave or replacement of it. */
export function dropsSelf(current: Ring, next: Ring, selfId: string): boolean {
  const self = current.nodes.find((n) => n.id === selfId);
  const leavingInTransition = current.transition?.nodes.find((n) => n.id === selfId)?.state === 'leaving';
  return self?.state === 'active' && !leavingInTransition && !next.nodes.some((n) => n.id === selfId);
}

/**
 * Vets encoded ring bytes offered at `declaredVersion` (the version the header or gossip entry
 * claims) against `current`. Bytes that fail to decode (the checksum covers them), or whose ring
 * is at another version than declared, are refused; so is a different ring at the current version.
 */
export function vetRing(current: Ring, currentBytes: Uint8Array, bytes: Uint8Array, declaredVersion: number, facts: SuccessorFacts): RingVerdict {
  if (declaredVersion < current.version) return { kind: 'stale' };
  let next: Ring;
  try {
    next = decodeRing(bytes);
  } catch (err) {
    return { kind: 'refused', reason: (err as Error).message };
  }
  if (next.version !== declaredVersion) return { kind: 'refused', reason: `declared version ${declaredVersion}, but the ring is version ${next.version}` };
  if (next.version === current.version) {
    return sameBytes(bytes, currentBytes) ? { kind: 'stale' } : { kind: 'refused', reason: `a different ring at this node's version ${current.version}` };
  }
  const problem = successorProblem(current, next, facts);
  if (problem === undefined) return { kind: 'successor', ring: next };
  // Refused only for dropping this node: a well-formed ring that, from the claimant, means removal.
  return shapeProblem(current, next, facts) === undefined ? { kind: 'refused', reason: problem, removed: true } : { kind: 'refused', reason: problem };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

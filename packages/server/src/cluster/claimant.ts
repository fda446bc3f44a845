// The claimant: the one node that turns staged membership changes into ring versions, and moves a
// committed transition along as transfers complete. It is the lowest-id live ring member, so every
// node agrees on it without a vote; when it dies the next one takes over from what gossip holds:
// the staged changes (metadata "staged") and the transfers each node reports done (metadata
// "handoff:<node>"), both versioned by wall-clock ms so a restarted node's entries still win.
import {
  allNodes,
  beginTransition,
  finishTransition,
  markDone,
  pendingPartitions,
  plan,
  summarizeTransition,
  transfersOf,
  type PartitionStats,
  type Ring,
  type RingPlan,
  type TransitionSummary,
} from '@quorumkv/ring';
import type { Memberlist } from '@quorumkv/gossip';
import { NodeClusterChangeError } from '../errors/errors.js';
import type { RingState } from './ring-state.js';

export const STAGED_METADATA_KEY = 'staged';
export const HANDOFF_METADATA_PREFIX = 'handoff:';

/** A node staged to join, as it described itself in its gossip member meta. */
export interface JoinCandidate {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  readonly weight: number;
}

/** Changes waiting for a commit. */
export interface StagedChanges {
  readonly joins: readonly JoinCandidate[];
  readonly leaves: readonly string[];
}

/** What a node reports of the transfers it completed (metadata "handoff:<node>"). */
export interface HandoffReport {
  /** The transition (its `since` version). */
  readonly since: number;
  /** `${partition}>${to}` of every transfer completed. */
  readonly done: readonly string[];
}

/** What a commit would do. */
export interface ClusterPlan {
  readonly plan: RingPlan;
  /** The ring a commit publishes: the current one with the transition begun. */
  readonly begun: Ring;
  readonly summary: TransitionSummary;
  readonly staged: StagedChanges;
}

/** What the claimant needs of gossip: who is up, members, and cluster metadata. */
export interface ClaimantGossip {
  isUp(nodeId: string): boolean;
  readonly list: Pick<Memberlist, 'member' | 'getMetadata' | 'setMetadata'>;
}

export interface ClaimantDeps {
  selfId: string;
  ring: RingState;
  membership: ClaimantGossip;
  /** Largest effective n of any bucket: the transition's transfers cover every n up to it. */
  transitionN: () => number;
  /** The cluster's configured n: targetN grows to it as nodes join. */
  definedN: number;
  /** Keys and bytes of a partition when this node holds it (for plan totals). */
  partitionStats: (partition: number) => PartitionStats | undefined;
  now: () => number;
  info: (msg: string, fields: Record<string, unknown>) => void;
}

const NOTHING_STAGED: StagedChanges = Object.freeze({ joins: [], leaves: [] });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The key of one transfer in a {@link HandoffReport}. */
export function transferKey(partition: number, to: string): string {
  return `${partition}>${to}`;
}

export class Claimant {
  constructor(private readonly d: ClaimantDeps) {}

  /** The lowest-id ring member (of the current or the target ring) that is up. */
  claimantId(): string {
    const ids = allNodes(this.d.ring.current)
      .map((n) => n.id)
      .filter((id) => this.d.membership.isUp(id));
    return ids[0] ?? this.d.selfId;
  }

  isClaimant(): boolean {
    return this.claimantId() === this.d.selfId;
  }

  staged(): StagedChanges {
    const entry = this.d.membership.list.getMetadata(STAGED_METADATA_KEY);
    if (entry === undefined || entry.value.length === 0) return NOTHING_STAGED;
    return JSON.parse(decoder.decode(entry.value)) as StagedChanges;
  }

  /** Stages `nodeId` to join: it must be a live gossip member that is not in the ring. */
  stageJoin(nodeId: string): StagedChanges {
    const ring = this.d.ring.current;
    if (allNodes(ring).some((n) => n.id === nodeId)) throw new NodeClusterChangeError(`node ${nodeId} is already a ring member`);
    const member = this.d.membership.list.member(nodeId);
    if (member === undefined || member.state !== 'alive') {
      throw new NodeClusterChangeError(`node ${nodeId} is not a live member of this cluster: start it with --seeds <any member> first`);
    }
    const self = parseMemberMeta(member.meta);
    const staged = this.staged();
    const joins = [...staged.joins.filter((j) => j.id !== nodeId), { id: nodeId, address: member.address, zone: self.zone, weight: self.weight }];
    return this.setStaged({ joins, leaves: staged.leaves.filter((id) => id !== nodeId) });
  }

  /** Stages `nodeId` to leave: it must be an active ring member. */
  stageLeave(nodeId: string): StagedChanges {
    const staged = this.staged();
    if (staged.joins.some((j) => j.id === nodeId)) return this.setStaged({ joins: staged.joins.filter((j) => j.id !== nodeId), leaves: staged.leaves });
    const node = this.d.ring.current.nodes.find((n) => n.id === nodeId);
    if (node === undefined) throw new NodeClusterChangeError(`node ${nodeId} is not a ring member`);
    if (node.state !== 'active') throw new NodeClusterChangeError(`node ${nodeId} is already leaving`);
    return this.setStaged({ joins: staged.joins, leaves: [...new Set([...staged.leaves, nodeId])] });
  }

  /** Drops the staged changes; returns whether there were any. */
  clear(): boolean {
    const staged = this.staged();
    if (staged.joins.length === 0 && staged.leaves.length === 0) return false;
    this.setStaged(NOTHING_STAGED);
    return true;
  }

  /**
   * The plan of the staged changes against the current ring.
   * @throws NodeClusterChangeError (nothing staged, a transition in progress, fewer than n nodes
   *   would remain), RingError (the ring package refuses the plan)
   */
  plan(): ClusterPlan {
    const ring = this.d.ring.current;
    const staged = this.staged();
    if (staged.joins.length === 0 && staged.leaves.length === 0) throw new NodeClusterChangeError('nothing staged: stage a join or a leave first');
    if (ring.transition !== undefined) {
      throw new NodeClusterChangeError(`ring version ${ring.version} has a transition in progress (${pendingPartitions(ring).length} partitions not done): commit after it finishes`);
    }
    const activeBefore = ring.nodes.filter((n) => n.state === 'active').length;
    const activeAfter = activeBefore + staged.joins.length - staged.leaves.length;
    const floor = Math.min(this.d.definedN, activeBefore);
    if (activeAfter < floor) throw new NodeClusterChangeError(`the plan would leave ${activeAfter} active nodes, fewer than n = ${floor}`);
    const p = plan(ring, { join: staged.joins, leave: staged.leaves, targetN: Math.max(ring.targetN, Math.min(this.d.definedN, activeAfter)) });
    const begun = beginTransition(ring, p, this.d.transitionN());
    const stats = Array.from({ length: ring.partitionCount }, (_, partition) => this.d.partitionStats(partition));
    return { plan: p, begun, summary: summarizeTransition(begun, { stats }), staged };
  }

  /**
   * Begins the staged change: publishes the ring with the transition and clears the staged
   * changes. `fromVersion` (0: any) must be the current ring version.
   */
  commit(fromVersion: number): Ring {
    const ring = this.d.ring.current;
    if (fromVersion !== 0 && fromVersion !== ring.version) {
      throw new NodeClusterChangeError(`the plan was made for ring version ${fromVersion}, the ring is at version ${ring.version}: plan again`);
    }
    const { begun, staged } = this.plan();
    this.d.ring.publish(begun);
    this.setStaged(NOTHING_STAGED);
    this.d.info('committed ring change', { version: begun.version, joins: staged.joins.map((j) => j.id), leaves: staged.leaves });
    return begun;
  }

  /**
   * Moves the transition along (claimant only): marks done the partitions whose every transfer
   * some node reported complete, and finishes the transition once all are done.
   */
  advance(): void {
    if (!this.isClaimant()) return;
    const ring = this.d.ring.current;
    const t = ring.transition;
    if (t === undefined) return;
    const reported = new Set<string>();
    for (const node of allNodes(ring)) {
      const report = this.report(node.id);
      if (report?.since === t.since) for (const key of report.done) reported.add(key);
    }
    const waiting = new Map<number, boolean>();
    for (const transfer of transfersOf(ring)) {
      const complete = reported.has(transferKey(transfer.partition, transfer.to));
      waiting.set(transfer.partition, (waiting.get(transfer.partition) ?? true) && complete);
    }
    const ready = [...waiting].filter(([, complete]) => complete).map(([p]) => p);
    let next = ready.length > 0 ? markDone(ring, ready) : ring;
    if (pendingPartitions(next).length === 0) {
      next = finishTransition(next);
      this.d.info('ring change finished', { version: next.version, since: t.since });
    }
    if (next !== ring) this.d.ring.publish(next);
  }

  /** The handoff report `nodeId` last gossiped. */
  report(nodeId: string): HandoffReport | undefined {
    const entry = this.d.membership.list.getMetadata(HANDOFF_METADATA_PREFIX + nodeId);
    return entry === undefined ? undefined : (JSON.parse(decoder.decode(entry.value)) as HandoffReport);
  }

  private setStaged(staged: StagedChanges): StagedChanges {
    const previous = this.d.membership.list.getMetadata(STAGED_METADATA_KEY)?.version ?? 0;
    this.d.membership.list.setMetadata(STAGED_METADATA_KEY, Math.max(previous + 1, this.d.now()), encoder.encode(JSON.stringify(staged)));
    return staged;
  }
}

/** What a node says of itself in its gossip member meta (JSON `{zone, weight}`). */
export function encodeMemberMeta(zone: string, weight: number): Uint8Array {
  return encoder.encode(JSON.stringify({ zone, weight }));
}

function parseMemberMeta(meta: Uint8Array): { zone: string; weight: number } {
  try {
    const parsed = JSON.parse(decoder.decode(meta)) as { zone?: unknown; weight?: unknown };
    return { zone: typeof parsed.zone === 'string' ? parsed.zone : 'default', weight: typeof parsed.weight === 'number' ? parsed.weight : 1 };
  } catch {
    return { zone: 'default', weight: 1 };
  }
}

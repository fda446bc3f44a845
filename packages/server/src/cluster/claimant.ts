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
  summarizeTransition,
  transfersOf,
  type PartitionStats,
  type Ring,
  type TransitionSummary,
} from '@quorumkv/ring';
import type { Memberlist } from '@quorumkv/gossip';
import type { StorageEngine } from '@quorumkv/storage';
import { NodeClusterChangeError } from '../errors/errors.js';
import type { RingState } from './ring-state.js';
import {
  NOTHING_STAGED,
  arriving,
  compactStaged,
  departing,
  isNothingStaged,
  stagedLists,
  stagedTarget,
  type JoinCandidate,
  type StagedChanges,
} from './staged-changes.js';

export type { JoinCandidate, StagedChanges } from './staged-changes.js';

export const STAGED_METADATA_KEY = 'staged';
export const HANDOFF_METADATA_PREFIX = 'handoff:';

/** What a node reports of the transfers it completed (metadata "handoff:<node>"). */
export interface HandoffReport {
  /** The transition (its `since` version). */
  readonly since: number;
  /** `${partition}>${to}` of every transfer completed. */
  readonly done: readonly string[];
}

/** What a commit would do. */
export interface ClusterPlan {
  /** The ring version the plan is for. */
  readonly fromVersion: number;
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
  /**
   * Largest n of any bucket clamped to `members` (the larger of the ring's and the target's member
   * counts): the transition's transfers cover every n up to it, so a ring smaller than a bucket's
   * n that grows copies each partition to every replica the grown ring has for that bucket.
   */
  transitionN: (members: number) => number;
  /** The cluster's configured n: targetN grows to it as nodes join. */
  definedN: number;
  /** Keys and bytes of a partition when this node holds it (for plan totals). */
  partitionStats: (partition: number) => PartitionStats | undefined;
  now: () => number;
  info: (msg: string, fields: Record<string, unknown>) => void;
  /**
   * Where this node keeps the last staged changes it saw (storage meta), so they survive a restart
   * of every node: gossip alone would lose them. Absent: gossip only.
   */
  store?: Pick<StorageEngine, 'getMeta' | 'setMeta'>;
}

/** Storage meta name of the persisted staged changes: JSON `{ version, value }` (value: the gossiped text). */
export const STAGED_META_NAME = 'cluster-staged';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The key of one transfer in a {@link HandoffReport}. */
export function transferKey(partition: number, to: string): string {
  return `${partition}>${to}`;
}

export class Claimant {
  /** Version of the staged entry on disk. */
  private savedVersion = 0;

  constructor(private readonly d: ClaimantDeps) {
    this.restoreStaged();
  }

  /** Offers the persisted staged changes to gossip at their version (a newer gossiped entry wins). */
  private restoreStaged(): void {
    const bytes = this.d.store?.getMeta(STAGED_META_NAME);
    if (bytes === undefined) return;
    const saved = JSON.parse(decoder.decode(bytes)) as { version: number; value: string };
    this.savedVersion = saved.version;
    this.d.membership.list.setMetadata(STAGED_METADATA_KEY, saved.version, encoder.encode(saved.value));
  }

  /** Saves the gossiped staged changes when they are newer than those on disk (every node does). */
  persistStaged(): Promise<void> {
    const entry = this.d.membership.list.getMetadata(STAGED_METADATA_KEY);
    if (this.d.store === undefined || entry === undefined || entry.version <= this.savedVersion) return Promise.resolve();
    this.savedVersion = entry.version;
    return this.d.store.setMeta(STAGED_META_NAME, encoder.encode(JSON.stringify({ version: entry.version, value: decoder.decode(entry.value) })));
  }

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
    const candidate = this.candidate(nodeId, 'node_id');
    const staged = stagedLists(this.staged());
    return this.setStaged({ ...staged, joins: [...staged.joins.filter((j) => j.id !== nodeId), candidate], leaves: staged.leaves.filter((id) => id !== nodeId) });
  }

  /** Stages `nodeId` to leave: it must be an active ring member. A staged joiner is unstaged instead. */
  stageLeave(nodeId: string): StagedChanges {
    const staged = stagedLists(this.staged());
    if (staged.joins.some((j) => j.id === nodeId)) return this.setStaged({ ...staged, joins: staged.joins.filter((j) => j.id !== nodeId) });
    this.activeMember(nodeId, 'node_id');
    if (!staged.leaves.includes(nodeId) && departing(staged).has(nodeId)) throw new NodeClusterChangeError(`node_id: node ${nodeId} is already staged to go`);
    this.keepOneActive(nodeId);
    return this.setStaged({ ...staged, leaves: [...new Set([...staged.leaves, nodeId])] });
  }

  /** Stages member `oldId` to be replaced by `newId`, a live gossip member outside the ring. */
  stageReplace(oldId: string, newId: string): StagedChanges {
    this.activeMember(oldId, 'old_node_id');
    const staged = stagedLists(this.staged());
    if (departing(staged).has(oldId)) throw new NodeClusterChangeError(`old_node_id: node ${oldId} is already staged to go; clear the staged changes first`);
    if (arriving(staged).has(newId)) throw new NodeClusterChangeError(`new_node_id: node ${newId} is already staged to join`);
    const node = this.candidate(newId, 'new_node_id');
    return this.setStaged({ ...staged, replacements: [...staged.replacements, { old: oldId, node }] });
  }

  /**
   * Stages the removal of `nodeId` without a handoff from it: it must be down. Its partitions go
   * to the others, rebuilt from the surviving replicas. While a transition is in progress, the
   * transfers it should have received are given up (see {@link advance}) so the transition ends.
   */
  stageForceRemove(nodeId: string): StagedChanges {
    const node = allNodes(this.d.ring.current).find((n) => n.id === nodeId);
    if (node === undefined) throw new NodeClusterChangeError(`node_id: node ${nodeId} is not a ring member`);
    if (this.d.membership.isUp(nodeId)) throw new NodeClusterChangeError(`node_id: node ${nodeId} is up: use \`cluster leave\`, which hands its data off first`);
    const staged = stagedLists(this.staged());
    if (departing(staged).has(nodeId)) throw new NodeClusterChangeError(`node_id: node ${nodeId} is already staged to go`);
    this.keepOneActive(nodeId);
    return this.setStaged({ ...staged, forceRemoves: [...staged.forceRemoves, nodeId] });
  }

  /** Stages `partitions` to move to the active member `to` (a manual reshard). */
  stageMove(partitions: readonly number[], to: string): StagedChanges {
    if (partitions.length === 0) throw new NodeClusterChangeError('partitions: name at least one partition');
    const staged = stagedLists(this.staged());
    if (!arriving(staged).has(to)) this.activeMember(to, 'to_node');
    if (departing(staged).has(to)) throw new NodeClusterChangeError(`to_node: node ${to} is staged to go`);
    const q = this.d.ring.current.partitionCount;
    const moves: Record<string, string> = { ...staged.moves };
    for (const p of partitions) {
      if (!Number.isInteger(p) || p < 0 || p >= q) throw new NodeClusterChangeError(`partitions: ${p} is not in 0..${q - 1}`);
      moves[String(p)] = to;
    }
    return this.setStaged({ ...staged, moves });
  }

  /** Drops the staged changes; returns whether there were any. */
  clear(): boolean {
    if (isNothingStaged(this.staged())) return false;
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
    if (isNothingStaged(staged)) throw new NodeClusterChangeError('nothing staged: stage a join, leave, replace, force-remove or move first');
    if (ring.transition !== undefined) {
      throw new NodeClusterChangeError(`ring version ${ring.version} has a transition in progress (${pendingPartitions(ring).length} partitions not done): commit after it finishes`);
    }
    const activeBefore = ring.nodes.filter((n) => n.state === 'active').length;
    const target = stagedTarget(ring, staged, (activeAfter) => Math.max(ring.targetN, Math.min(this.d.definedN, activeAfter)));
    const activeAfter = target.nodes.filter((n) => n.state === 'active').length;
    const floor = Math.min(this.d.definedN, activeBefore);
    if (activeAfter < floor) throw new NodeClusterChangeError(`the plan would leave ${activeAfter} active nodes, fewer than n = ${floor}`);
    // As replicasAfter counts them: the target's members once leavers owning nothing are gone.
    const targetMembers = target.nodes.filter((n) => n.state === 'active' || target.owners.includes(n.id)).length;
    const begun = beginTransition(ring, target, this.d.transitionN(Math.max(ring.nodes.length, targetMembers)));
    const stats = Array.from({ length: ring.partitionCount }, (_, partition) => this.d.partitionStats(partition));
    return { fromVersion: ring.version, begun, summary: summarizeTransition(begun, { stats }), staged };
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
    this.d.info('committed ring change', { version: begun.version, staged: compactStaged(staged) });
    return begun;
  }

  /**
   * Moves the transition along (claimant only): marks done the partitions whose every transfer
   * some node reported complete, and finishes the transition once all are done. Transfers to a
   * node staged for forced removal are given up: it is down and will never report them, and it
   * leaves the ring at the next commit (until then it is one missing replica, as any down node).
   */
  advance(): void {
    this.persistStaged().catch((err: unknown) => this.d.info('cannot persist the staged changes', { error: String(err) }));
    if (!this.isClaimant()) return;
    const ring = this.d.ring.current;
    const t = ring.transition;
    if (t === undefined) return;
    const reported = new Set<string>();
    for (const node of allNodes(ring)) {
      const report = this.report(node.id);
      if (report?.since === t.since) for (const key of report.done) reported.add(key);
    }
    const givenUp = new Set(stagedLists(this.staged()).forceRemoves);
    const waiting = new Map<number, boolean>();
    for (const transfer of transfersOf(ring)) {
      const complete = givenUp.has(transfer.to) || reported.has(transferKey(transfer.partition, transfer.to));
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

  private setStaged(changes: StagedChanges): StagedChanges {
    const staged = compactStaged(changes);
    const previous = this.d.membership.list.getMetadata(STAGED_METADATA_KEY)?.version ?? 0;
    this.d.membership.list.setMetadata(STAGED_METADATA_KEY, Math.max(previous + 1, this.d.now()), encoder.encode(JSON.stringify(staged)));
    return staged;
  }

  /** A live gossip member outside the ring, as it described itself (for a join or a replacement). */
  private candidate(nodeId: string, field: string): JoinCandidate {
    if (allNodes(this.d.ring.current).some((n) => n.id === nodeId)) throw new NodeClusterChangeError(`${field}: node ${nodeId} is already a ring member`);
    const member = this.d.membership.list.member(nodeId);
    if (member === undefined || member.state !== 'alive') {
      throw new NodeClusterChangeError(`${field}: node ${nodeId} is not a live member of this cluster: start it with --seeds <any member> first`);
    }
    const self = parseMemberMeta(member.meta);
    return { id: nodeId, address: member.address, zone: self.zone, weight: self.weight };
  }

  /** Refuses unless `nodeId` is an active member of the current ring. */
  private activeMember(nodeId: string, field: string): void {
    const node = this.d.ring.current.nodes.find((n) => n.id === nodeId);
    if (node === undefined) throw new NodeClusterChangeError(`${field}: node ${nodeId} is not a ring member`);
    if (node.state !== 'active') throw new NodeClusterChangeError(`${field}: node ${nodeId} is already leaving`);
  }

  /** Refuses a departure of `nodeId` that would leave no active node, even with the staged joins. */
  private keepOneActive(nodeId: string): void {
    const staged = this.staged();
    const gone = departing(staged).add(nodeId);
    const staying = this.d.ring.current.nodes.filter((n) => n.state === 'active' && !gone.has(n.id)).length + arriving(staged).size;
    if (staying === 0) throw new NodeClusterChangeError(`node_id: node ${nodeId} is the last active node: a cluster keeps at least one`);
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

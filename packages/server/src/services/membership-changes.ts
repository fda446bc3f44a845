// AdminService Join, Leave, Plan, Commit and Clear: staged membership changes. Any node accepts
// them and hands them to the claimant, which alone stages, plans and commits (so two operators
// talking to two nodes still build one plan); a request the claimant forwarded is never forwarded
// again, so nodes that briefly disagree on the claimant cannot bounce it between them.
import { create } from '@bufbuild/protobuf';
import type { Client, HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  ClearResponseSchema,
  CommitResponseSchema,
  ForceRemoveResponseSchema,
  JoinResponseSchema,
  LeaveResponseSchema,
  MoveResponseSchema,
  NodeOwnershipSchema,
  PartitionMoveSchema,
  PlanResponseSchema,
  ReplaceResponseSchema,
  StagedChangesSchema,
  StagedMoveSchema,
  StagedReplacementSchema,
  type AdminService,
} from '@quorumkv/protocol';
import { summarizeTransition, type PartitionStats } from '@quorumkv/ring';
import type { Claimant } from '../cluster/claimant.js';
import { movesByNode, stagedLists, type StagedChanges } from '../cluster/staged-changes.js';
import { NodeArgumentError, NodeNotReadyError } from '../errors/errors.js';
import { guard } from './guard.js';
import { planFigures, type PlanFigureDeps } from './plan-figures.js';

/** What the handlers need of the node. */
export interface MembershipChangeDeps extends Omit<PlanFigureDeps, 'localStats'> {
  selfId: string;
  claimant: Claimant;
  /** This node's own counts of a partition (for plans and PartitionStats). */
  partitionStats: (partition: number) => PartitionStats;
  /** AdminService of another node, or undefined when it has no known address. */
  peerAdmin: (nodeId: string) => Client<typeof AdminService> | undefined;
  /** Other ring members that are up now. */
  othersUp: () => string[];
}

const FORWARDED_HEADER = 'qkv-forwarded-by';
const FORWARD_TIMEOUT_MS = 10_000;
/** Longest a commit waits for another member to hold the new ring before it answers. */
const SPREAD_WAIT_MS = 5_000;

/**
 * Waits (bounded) until another live member holds ring `version`: a claimant killed right after
 * answering a commit then cannot take the change with it. Alone, or when no one answers in time,
 * it answers anyway (the change is in this node's persisted ring and spreads when peers return).
 */
async function spread(d: MembershipChangeDeps, version: number): Promise<void> {
  const until = Date.now() + SPREAD_WAIT_MS;
  while (Date.now() < until) {
    const others = d.othersUp();
    if (others.length === 0) return;
    const versions = await Promise.all(
      others.map((id) => d.peerAdmin(id)?.status({}, { timeoutMs: 1_000 }).then((s) => Number(s.ringVersion), () => 0) ?? 0),
    );
    if (versions.some((v) => v >= version)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The staged changes as answered: the old join and leave lists, and every change. */
export function stagedFields(changes: StagedChanges) {
  const s = stagedLists(changes);
  const staged = create(StagedChangesSchema, {
    joins: s.joins.map((j) => j.id),
    leaves: [...s.leaves],
    replacements: s.replacements.map((r) => create(StagedReplacementSchema, { oldNodeId: r.old, newNodeId: r.node.id })),
    forceRemoves: [...s.forceRemoves],
    moves: [...movesByNode(changes)].map(([toNode, partitions]) => create(StagedMoveSchema, { toNode, partitions })),
  });
  return { stagedJoins: staged.joins, stagedLeaves: staged.leaves, staged };
}

function nodeIdOf(nodeId: string, field = 'node_id'): string {
  if (nodeId === '') throw new NodeArgumentError(field, 'is required');
  return nodeId;
}

type ChangeMethods = 'join' | 'leave' | 'replace' | 'forceRemove' | 'move' | 'plan' | 'commit' | 'clear';

export function membershipChanges(d: MembershipChangeDeps): Pick<ServiceImpl<typeof AdminService>, ChangeMethods> {
  /** Runs `local` here when this node is the claimant (or was asked by one), else asks the claimant. */
  const atClaimant = <R>(ctx: HandlerContext, local: () => R | Promise<R>, remote: (c: Client<typeof AdminService>, opts: { timeoutMs: number; headers: Record<string, string> }) => Promise<R>): Promise<R> =>
    guard(async () => {
      if (d.claimant.isClaimant() || ctx.requestHeader.get(FORWARDED_HEADER) !== null) return local();
      const id = d.claimant.claimantId();
      const client = d.peerAdmin(id);
      if (client === undefined) throw new NodeNotReadyError(`no address for the claimant ${id}`);
      return remote(client, { timeoutMs: FORWARD_TIMEOUT_MS, headers: { [FORWARDED_HEADER]: d.selfId } });
    });
  return {
    join: (req, ctx) =>
      atClaimant(
        ctx,
        () => create(JoinResponseSchema, stagedFields(d.claimant.stageJoin(nodeIdOf(req.nodeId)))),
        (c, opts) => c.join(req, opts),
      ),
    leave: (req, ctx) =>
      atClaimant(
        ctx,
        () => create(LeaveResponseSchema, stagedFields(d.claimant.stageLeave(nodeIdOf(req.nodeId)))),
        (c, opts) => c.leave(req, opts),
      ),
    replace: (req, ctx) =>
      atClaimant(
        ctx,
        () => create(ReplaceResponseSchema, { staged: stagedFields(d.claimant.stageReplace(nodeIdOf(req.oldNodeId, 'old_node_id'), nodeIdOf(req.newNodeId, 'new_node_id'))).staged }),
        (c, opts) => c.replace(req, opts),
      ),
    forceRemove: (req, ctx) =>
      atClaimant(
        ctx,
        () => create(ForceRemoveResponseSchema, { staged: stagedFields(d.claimant.stageForceRemove(nodeIdOf(req.nodeId))).staged }),
        (c, opts) => c.forceRemove(req, opts),
      ),
    move: (req, ctx) =>
      atClaimant(
        ctx,
        () => create(MoveResponseSchema, { staged: stagedFields(d.claimant.stageMove(req.partitions, nodeIdOf(req.toNode, 'to_node'))).staged }),
        (c, opts) => c.move(req, opts),
      ),
    clear: (req, ctx) => atClaimant(ctx, () => create(ClearResponseSchema, { cleared: d.claimant.clear() }), (c, opts) => c.clear(req, opts)),
    commit: (req, ctx) =>
      atClaimant(
        ctx,
        async () => {
          const { version } = d.claimant.commit(Number(req.fromVersion));
          await spread(d, version);
          return create(CommitResponseSchema, { ringVersion: BigInt(version) });
        },
        (c, opts) => c.commit(req, opts),
      ),
    plan: (req, ctx) =>
      atClaimant(
        ctx,
        async () => {
          const { fromVersion, begun, staged } = d.claimant.plan();
          const figures = await planFigures({ ...d, localStats: d.partitionStats }, begun);
          const summary = summarizeTransition(begun, { stats: figures.stats });
          const after = summary.after.partitions;
          const q = begun.partitionCount;
          return create(PlanResponseSchema, {
            fromVersion: BigInt(fromVersion),
            toVersion: BigInt(begun.version),
            moves: summary.ownerChanges.map((m) => create(PartitionMoveSchema, { partition: m.partition, fromNode: m.from, toNode: m.to })),
            ownershipAfter: Object.entries(after).map(([nodeId, partitions]) => create(NodeOwnershipSchema, { nodeId, partitions, share: partitions / q })),
            transfers: summary.transfers,
            keys: BigInt(summary.keys),
            bytes: BigInt(summary.bytes),
            balanceBefore: summary.before.maxOverMean,
            balanceAfter: summary.after.maxOverMean,
            ...stagedFields(staged),
            etaSeconds: figures.etaSeconds,
            handoffBytesPerSecond: BigInt(d.bytesPerSecond),
            statsMissing: [...figures.missing],
          });
        },
        (c, opts) => c.plan(req, opts),
      ),
  };
}

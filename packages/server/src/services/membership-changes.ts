// AdminService Join, Leave, Plan, Commit and Clear: staged membership changes. Any node accepts
// them and hands them to the claimant, which alone stages, plans and commits (so two operators
// talking to two nodes still build one plan); a request the claimant forwarded is never forwarded
// again, so nodes that briefly disagree on the claimant cannot bounce it between them.
import { create } from '@bufbuild/protobuf';
import type { Client, HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  ClearResponseSchema,
  CommitResponseSchema,
  JoinResponseSchema,
  LeaveResponseSchema,
  NodeOwnershipSchema,
  PartitionMoveSchema,
  PlanResponseSchema,
  type AdminService,
} from '@quorumkv/protocol';
import type { Claimant, StagedChanges } from '../cluster/claimant.js';
import { NodeArgumentError, NodeNotReadyError } from '../errors/errors.js';
import { guard } from './guard.js';

/** What the handlers need of the node. */
export interface MembershipChangeDeps {
  selfId: string;
  claimant: Claimant;
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

function stagedLists(staged: StagedChanges): { stagedJoins: string[]; stagedLeaves: string[] } {
  return { stagedJoins: staged.joins.map((j) => j.id), stagedLeaves: [...staged.leaves] };
}

function nodeIdOf(nodeId: string): string {
  if (nodeId === '') throw new NodeArgumentError('node_id', 'is required');
  return nodeId;
}

export function membershipChanges(d: MembershipChangeDeps): Pick<ServiceImpl<typeof AdminService>, 'join' | 'leave' | 'plan' | 'commit' | 'clear'> {
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
        () => create(JoinResponseSchema, stagedLists(d.claimant.stageJoin(nodeIdOf(req.nodeId)))),
        (c, opts) => c.join(req, opts),
      ),
    leave: (req, ctx) =>
      atClaimant(
        ctx,
        () => create(LeaveResponseSchema, stagedLists(d.claimant.stageLeave(nodeIdOf(req.nodeId)))),
        (c, opts) => c.leave(req, opts),
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
        () => {
          const { plan, begun, summary, staged } = d.claimant.plan();
          const after = summary.after.partitions;
          const q = begun.partitionCount;
          return create(PlanResponseSchema, {
            fromVersion: BigInt(plan.fromVersion),
            toVersion: BigInt(begun.version),
            moves: summary.ownerChanges.map((m) => create(PartitionMoveSchema, { partition: m.partition, fromNode: m.from, toNode: m.to })),
            ownershipAfter: Object.entries(after).map(([nodeId, partitions]) => create(NodeOwnershipSchema, { nodeId, partitions, share: partitions / q })),
            transfers: summary.transfers,
            keys: BigInt(summary.keys),
            bytes: BigInt(summary.bytes),
            balanceBefore: summary.before.maxOverMean,
            balanceAfter: summary.after.maxOverMean,
            ...stagedLists(staged),
          });
        },
        (c, opts) => c.plan(req, opts),
      ),
  };
}

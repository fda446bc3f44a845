// AdminService CreateCluster and AdoptCluster: `quorumkv cluster create` turns nodes started alone
// into one cluster. The node it forms around proposes its cluster to every other node; each
// confirms it is alone and empty (a check that changes nothing), and only when all confirm does
// each take the cluster (it stores the cluster's id and ring and restarts on them, as a node
// started with --seeds does). Their joins are then staged, for the plan and commit every join
// goes through.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type Client, type ServiceImpl } from '@connectrpc/connect';
import { AdoptClusterResponseSchema, CreateClusterResponseSchema, ProposedNodeSchema, type AdminService } from '@quorumkv/protocol';
import { allNodes, type Ring } from '@quorumkv/ring';
import { addressProblem, answersProblem, isHostPort, refusalToAdopt, refusalToPropose, type LoneNodeFacts, type ProposalAnswer } from '../cluster/adoption.js';
import type { Claimant } from '../cluster/claimant.js';
import type { DiscoveredCluster } from '../cluster/discovery.js';
import { NodeArgumentError, NodeClusterChangeError } from '../errors/errors.js';
import { guard } from './guard.js';
import { stagedFields } from './membership-changes.js';

/** What CreateCluster and AdoptCluster need of the node. */
export interface ClusterCreateDeps {
  selfId: string;
  clusterId: () => string;
  /** The address peers reach this node at. */
  advertise: string;
  partitions: number;
  n: number;
  ring: () => Ring;
  /** What this node holds and knows, for a proposal to it. */
  facts: () => LoneNodeFacts;
  /** Whether gossip has `nodeId` alive. */
  isAlive: (nodeId: string) => boolean;
  claimant: Claimant;
  /** AdminService of the node at `address`. */
  adminAt: (address: string) => Client<typeof AdminService>;
  /** Asks the node at `seed` for its cluster (id, partitions, n, ring). */
  discover: (seed: string) => Promise<DiscoveredCluster>;
  /** Makes this node a member of `found` in its data dir; it restarts on it once {@link adopted} is called. */
  store: (found: DiscoveredCluster) => Promise<void>;
  /**
   * Refuses client writes from now on and resolves once those in flight are stored, so the check
   * that this node is empty sees every write it acknowledged (one acknowledged after it would be
   * left behind in partitions of the old cluster when the node restarts on the new one).
   */
  closeWrites: () => Promise<void>;
  /**
   * Ends {@link closeWrites}: the node stays on its cluster. Writes stay refused if the node is
   * forming a cluster ({@link closeWritesUntilGrown}): a proposal it refuses says nothing about that.
   */
  reopenWrites: () => void;
  /**
   * Refuses client writes until this node's ring grows (its change begins) and resolves once those
   * in flight are stored: the proposing node's version of {@link closeWrites}, for the same reason.
   */
  closeWritesUntilGrown: () => Promise<void>;
  /** Ends {@link closeWritesUntilGrown}'s refusal: the create failed before any node took the cluster. */
  abandonForming: () => void;
  /** The data dir now belongs to another cluster: restart on it (after this answer is sent). */
  adopted: () => void;
  /** Whether this node can restart itself (its host handles {@link adopted}); if not, it refuses proposals. */
  canRestart: boolean;
  now: () => number;
}

/** How long each proposed node has to answer a proposal (it may discover and store meanwhile). */
const PROPOSAL_TIMEOUT_MS = 10_000;
/** How long the proposing node waits for the nodes that took its cluster to show up in gossip. */
const MEMBER_WAIT_MS = 30_000;

/** One line of why a proposal failed: the node's refusal, or that it did not answer. */
function failure(err: unknown): string {
  const e = ConnectError.from(err);
  return e.code === Code.Unavailable || e.code === Code.DeadlineExceeded ? `did not answer (${e.rawMessage})` : e.rawMessage;
}

async function propose(d: ClusterCreateDeps, addresses: readonly string[], checkOnly: boolean): Promise<ProposalAnswer[]> {
  const request = { seed: d.advertise, clusterId: d.clusterId(), partitions: d.partitions, n: d.n, checkOnly };
  return Promise.all(
    addresses.map((address) =>
      Promise.resolve()
        .then(() => d.adminAt(address).adoptCluster(request, { timeoutMs: PROPOSAL_TIMEOUT_MS }))
        .then(
          (res): ProposalAnswer => ({ address, nodeId: res.nodeId, alreadyMember: res.alreadyMember }),
          (err: unknown): ProposalAnswer => ({ address, error: failure(err) }),
        ),
    ),
  );
}

async function waitAlive(d: ClusterCreateDeps, ids: readonly string[]): Promise<void> {
  const until = d.now() + MEMBER_WAIT_MS;
  for (;;) {
    const missing = ids.filter((id) => !d.isAlive(id));
    if (missing.length === 0) return;
    if (d.now() >= until) throw new NodeClusterChangeError(`${missing.join(', ')} took the cluster but did not show up as live members within ${MEMBER_WAIT_MS / 1000} s: run create again once they are up`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function clusterCreate(d: ClusterCreateDeps): Pick<ServiceImpl<typeof AdminService>, 'createCluster' | 'adoptCluster'> {
  let adopting = false;
  return {
    createCluster: (req) =>
      guard(async () => {
        const problem = addressProblem(req.addresses, d.advertise, d.n);
        if (problem !== undefined) throw new NodeArgumentError('addresses', problem);
        const ring = d.ring();
        if (ring.transition !== undefined) throw new NodeClusterChangeError(`ring version ${ring.version} has a transition in progress: create after it finishes`);
        // As in AdoptCluster, writes are refused before the emptiness check: one this node (alone
        // in its ring) acknowledged after it would keep the single copy a one-node ring makes, and
        // the grown ring's other replicas would never receive it. They stay refused until the
        // grown ring's change begins, unless nothing was proposed for taking.
        const lone = allNodes(ring).length === 1;
        if (lone) await d.closeWritesUntilGrown();
        let confirmed: ProposalAnswer[];
        try {
          const unfit = refusalToPropose(d.facts());
          if (unfit !== undefined) throw new NodeClusterChangeError(unfit);
          confirmed = await propose(d, req.addresses, true);
          const ringOthers = allNodes(ring).map((n) => n.id).filter((id) => id !== d.selfId);
          const refused = answersProblem(confirmed, d.selfId, ringOthers);
          if (refused !== undefined) throw new NodeClusterChangeError(`addresses: ${refused}; nothing changed`);
        } catch (err) {
          if (lone) d.abandonForming();
          throw err;
        }
        const fresh = confirmed.filter((a) => !('error' in a) && !a.alreadyMember).map((a) => a.address);
        const took = answersProblem(await propose(d, fresh, false), d.selfId, []);
        if (took !== undefined) throw new NodeClusterChangeError(`addresses: ${took}; the other nodes took the cluster: run create again to go on`);
        const nodes = confirmed.flatMap((a) => ('error' in a ? [] : [a]));
        const joining = nodes.map((a) => a.nodeId).filter((id) => !allNodes(d.ring()).some((m) => m.id === id));
        await waitAlive(d, joining);
        let staged = d.claimant.staged();
        for (const id of joining) staged = d.claimant.stageJoin(id);
        // Kept before the answer: this node restarted before the commit (before the claimant's
        // next tick saved them, and before gossip spread them) would otherwise have nothing staged.
        await d.claimant.persistStaged();
        return create(CreateClusterResponseSchema, {
          clusterId: d.clusterId(),
          nodes: nodes.map((a) => create(ProposedNodeSchema, { address: a.address, nodeId: a.nodeId, alreadyMember: a.alreadyMember })),
          staged: stagedFields(staged).staged,
        });
      }),
    adoptCluster: (req) =>
      guard(async () => {
        if (!isHostPort(req.seed)) throw new NodeArgumentError('seed', `${JSON.stringify(req.seed)} is not host:port`);
        if (req.clusterId === '') throw new NodeArgumentError('cluster_id', 'is required');
        if (req.clusterId === d.clusterId()) return create(AdoptClusterResponseSchema, { nodeId: d.selfId, alreadyMember: true });
        const shape = { partitions: req.partitions, n: req.n };
        const refuse = (): void => {
          const why = adopting ? `node ${d.selfId} is taking a cluster already` : refusalToAdopt(d.facts(), shape);
          if (why !== undefined) throw new NodeClusterChangeError(why);
        };
        if (!d.canRestart) throw new NodeClusterChangeError(`node ${d.selfId} runs where it cannot restart itself on another cluster: start it with --seeds instead`);
        refuse();
        if (req.checkOnly) return create(AdoptClusterResponseSchema, { nodeId: d.selfId });
        adopting = true;
        let closed = false;
        try {
          const found = await d.discover(req.seed).catch((err: unknown) => {
            throw new NodeClusterChangeError(`seed: ${req.seed} did not answer with its cluster (${err instanceof Error ? err.message : String(err)})`);
          });
          if (found.clusterId !== req.clusterId) throw new NodeClusterChangeError(`seed: ${req.seed} belongs to cluster ${found.clusterId}, not the proposed ${req.clusterId}`);
          // Asked again once no write can land any more: a record may have arrived while the seed
          // was asked, and one acknowledged after this check would be lost with the old cluster.
          await d.closeWrites();
          closed = true;
          adopting = false;
          refuse();
          adopting = true;
          await d.store(found);
        } catch (err) {
          adopting = false;
          if (closed) d.reopenWrites();
          throw err;
        }
        d.adopted();
        return create(AdoptClusterResponseSchema, { nodeId: d.selfId });
      }),
  };
}

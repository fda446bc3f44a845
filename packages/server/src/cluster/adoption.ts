// `cluster create`: nodes started alone become one cluster. The node the cluster forms around
// proposes its cluster to each other node; a node takes it only when it is alone and empty, so
// nothing it holds is lost or shadowed: its own records would sit in partitions it does not own,
// its buckets' properties would fight the cluster's, its hints would name nodes of no cluster.
import { allNodes, type Ring } from '@quorumkv/ring';

/** What a node knows of itself when a cluster is proposed to it. */
export interface LoneNodeFacts {
  readonly selfId: string;
  readonly ring: Ring;
  /** Other gossip members that are alive or suspect. */
  readonly peers: readonly string[];
  /** Records stored (tombstones included). */
  readonly records: number;
  readonly hints: number;
  /** Buckets created here (names). */
  readonly buckets: readonly string[];
  readonly partitions: number;
  readonly n: number;
}

/** The proposed cluster's shape. */
export interface ProposedShape {
  readonly partitions: number;
  readonly n: number;
}

/**
 * Why this node cannot take a proposed cluster, in one line naming what to change, or undefined
 * when it can.
 */
export function refusalToAdopt(f: LoneNodeFacts, proposed: ProposedShape): string | undefined {
  const members = allNodes(f.ring).map((n) => n.id);
  if (members.length !== 1 || members[0] !== f.selfId)
    return `node ${f.selfId} belongs to a cluster of ${members.length} ring nodes (${members.join(', ')}): only a node started alone can be brought in by create; add it with \`cluster join\` instead`;
  if (f.peers.length > 0) return `node ${f.selfId} has peers (${f.peers.join(', ')}): only a node started alone (no --initial-cluster, no --seeds) can be brought in`;
  if (f.records > 0) return `node ${f.selfId} holds ${f.records} records: create brings in only empty nodes (wipe its data dir first)`;
  if (f.hints > 0) return `node ${f.selfId} holds ${f.hints} hints: create brings in only empty nodes`;
  if (f.buckets.length > 0) return `node ${f.selfId} has buckets (${f.buckets.join(', ')}): create brings in only empty nodes`;
  if (f.partitions !== proposed.partitions)
    return `partitions: node ${f.selfId} has ${f.partitions} partitions, the cluster ${proposed.partitions}: restart it with --partitions ${proposed.partitions} on an empty data dir`;
  if (f.n !== proposed.n) return `n: node ${f.selfId} has n ${f.n}, the cluster ${proposed.n}: restart it with --n ${proposed.n}`;
  return undefined;
}

/**
 * Why the node a cluster forms around cannot propose it, or undefined. It must be empty too: a
 * transition copies data only for the replica count of the ring it starts from (one node here),
 * so the replicas the grown cluster adds would never receive what it holds now.
 */
export function refusalToPropose(f: LoneNodeFacts): string | undefined {
  if (allNodes(f.ring).length > 1) return undefined;
  if (f.records > 0) return `this node (${f.selfId}) holds ${f.records} records: create forms a cluster only from empty nodes; start the others with --seeds and add them with \`cluster join\``;
  if (f.hints > 0) return `this node (${f.selfId}) holds ${f.hints} hints: create forms a cluster only from empty nodes`;
  return undefined;
}

/** One answer to a proposal, as the proposing node got it. */
export type ProposalAnswer =
  | { readonly address: string; readonly nodeId: string; readonly alreadyMember: boolean }
  | { readonly address: string; readonly error: string };

/** Whether `address` is a plain `host:port` a node can be dialled at (as an http URL's host). */
export function isHostPort(address: string): boolean {
  const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65_535) return false;
  try {
    return new URL(`http://${address}`).host === address.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Checks the addresses a create was asked for before anything is proposed: each once, not this
 * node's own, and enough nodes for n replicas. Returns the problem naming the field, or undefined.
 */
export function addressProblem(addresses: readonly string[], own: string, n: number): string | undefined {
  if (addresses.length === 0) return 'name at least one other node to bring in';
  const seen = new Set<string>();
  for (const a of addresses) {
    if (!isHostPort(a)) return `${JSON.stringify(a)} is not host:port`;
    if (a === own) return `${a} is the node the cluster forms around: list only the others`;
    if (seen.has(a)) return `${a} is listed twice`;
    seen.add(a);
  }
  const total = addresses.length + 1;
  if (total < n) return `a cluster of ${total} nodes keeps fewer than n = ${n} replicas of each key: name at least ${n - 1} other nodes (or start every node with a smaller --n)`;
  return undefined;
}

/**
 * Why the confirmed proposals cannot make one cluster (a refusal, or two nodes with one id), or
 * undefined. `selfId` is the proposing node's id; `ringOthers` the other members of its ring,
 * which may only be nodes of an earlier create that stopped halfway.
 */
export function answersProblem(answers: readonly ProposalAnswer[], selfId: string, ringOthers: readonly string[]): string | undefined {
  const refusals = answers.flatMap((a) => ('error' in a ? [`${a.address}: ${a.error}`] : []));
  if (refusals.length > 0) return refusals.join('; ');
  const ids = new Map<string, string>([[selfId, 'this node']]);
  for (const a of answers) {
    if ('error' in a) continue;
    const other = ids.get(a.nodeId);
    if (other !== undefined) return `${a.address} has node id ${a.nodeId}, as ${other} has: start every node with its own --node-id`;
    ids.set(a.nodeId, a.address);
  }
  const strangers = ringOthers.filter((id) => !ids.has(id));
  if (strangers.length > 0)
    return `this node already belongs to a cluster with ${strangers.join(', ')}, which are not listed: create only forms a cluster from nodes started alone; add nodes with \`cluster join\``;
  return undefined;
}

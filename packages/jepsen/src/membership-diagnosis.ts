// What the harness reports when membership changes did not finish after heal: every node's own view
// (its ring and the transition's copies still to make, the transfers it sends with their state, last
// error and next retry, who it takes for the claimant, what gossip says of the others), and one line
// naming what is stuck. A liveness failure then reads as a verdict with evidence, not a crash.
import type { HandoffInfo, QuorumKvClient, RemainingTransfer } from '@quorumkv/client/node';

/** One node's view when membership did not settle; a part it would not answer holds the error instead. */
export interface NodeMembershipView {
  readonly id: string;
  readonly address: string;
  /** A member (or a node that left and should have stopped). */
  readonly role: 'member' | 'departed';
  readonly running: boolean;
  readonly status?: {
    readonly ringVersion: number;
    readonly ringChecksum: string;
    readonly claimant: string;
    readonly ready: boolean;
    readonly uptimeMs: number;
    readonly aliveCount: number;
    readonly memberCount: number;
    readonly handoffs: readonly HandoffInfo[];
  };
  readonly ring?: {
    readonly version: number;
    readonly checksum: string;
    /** `id:state` of every ring node. */
    readonly nodes: readonly string[];
    readonly transition?: { readonly since: number; readonly pendingPartitions: number; readonly remaining: readonly RemainingTransfer[] };
  };
  /** `id:liveness` of every member gossip knows. */
  readonly gossip?: readonly string[];
  readonly errors?: readonly string[];
}

/** How the membership changes of a run ended. */
export interface MembershipOutcome {
  readonly verdict: 'pass' | 'fail';
  /** Seconds after heal until the ring had finished them (pass). */
  readonly seconds?: number;
  /** The members the harness expects, sorted. */
  readonly members: readonly string[];
  /** What was wrong when the wait ran out (fail): a line naming the stuck part. */
  readonly reason?: string;
  readonly timeoutMs?: number;
  /** Every node's view when the wait ran out (fail). */
  readonly nodes?: readonly NodeMembershipView[];
}

/** `membership: PASS (settled 0.1 s after heal)` or `membership: FAIL (<reason>)`. */
export function membershipVerdictLine(o: MembershipOutcome): string {
  if (o.verdict === 'pass') return `membership: PASS (settled ${(o.seconds ?? 0).toFixed(1)} s after heal, members ${o.members.join(',')})`;
  return `membership: FAIL (not settled within ${((o.timeoutMs ?? 0) / 1000).toFixed(0)} s of heal, members ${o.members.join(',')}: ${o.reason ?? 'unknown'})`;
}

/** What each node knows, asked of each node itself (status, ring, members), with a short timeout. */
export async function viewOf(admin: QuorumKvClient, node: { id: string; address: string; role: NodeMembershipView['role']; running: boolean }): Promise<NodeMembershipView> {
  const errors: string[] = [];
  const ask = <T>(what: string, call: () => Promise<T>): Promise<T | undefined> =>
    call().catch((err: unknown) => {
      errors.push(`${what}: ${String(err).split('\n')[0]}`);
      return undefined;
    });
  const [status, ring, members] = await Promise.all([ask('status', () => admin.admin.status()), ask('ring', () => admin.admin.ring()), ask('members', () => admin.admin.members())]);
  return {
    ...node,
    ...(status && {
      status: { ringVersion: status.ringVersion, ringChecksum: status.ringChecksum, claimant: status.claimant, ready: status.ready, uptimeMs: status.uptimeMs, aliveCount: status.aliveCount, memberCount: status.memberCount, handoffs: status.handoffs },
    }),
    ...(ring && {
      ring: {
        version: ring.version,
        checksum: ring.checksum,
        nodes: ring.nodes.map((n) => `${n.id}:${n.state}`),
        ...(ring.transition && { transition: { since: ring.transition.since, pendingPartitions: ring.transition.pendingPartitions, remaining: ring.transition.remaining } }),
      },
    }),
    ...(members && { gossip: members.map((m) => `${m.id}:${m.liveness}`) }),
    ...(errors.length > 0 && { errors }),
  };
}

const MAX_LISTED = 4;

/**
 * One line naming what keeps membership from settling: nodes that left and still run, members
 * that do not answer, rings that differ, a ring whose nodes are not the `expected` members, and
 * for the newest ring in transition, its copies still to make, each with what its senders say of
 * it (state, error, retry) or that nobody sends it.
 */
export function describeUnsettled(views: readonly NodeMembershipView[], expected: readonly string[]): string {
  const parts: string[] = [];
  const lingering = views.filter((v) => v.role === 'departed' && v.running).map((v) => v.id);
  if (lingering.length > 0) parts.push(`left but still running: ${lingering.join(',')}`);
  const members = views.filter((v) => v.role === 'member');
  const silent = members.filter((v) => v.ring === undefined).map((v) => `${v.id}${v.running ? '' : ' (not running)'}`);
  if (silent.length > 0) parts.push(`no ring from ${silent.join(',')}`);
  const rings = members.filter((v) => v.ring !== undefined);
  const versions = new Set(rings.map((v) => `${v.ring!.version}/${v.ring!.checksum}`));
  if (versions.size > 1) parts.push(`rings differ: ${rings.map((v) => `${v.id} v${v.ring!.version}`).join(' ')}`);
  const newestRing = rings.slice().sort((a, b) => b.ring!.version - a.ring!.version)[0]?.ring;
  if (newestRing !== undefined) {
    const named = newestRing.nodes.map((n) => n.split(':')[0]!);
    const extra = named.filter((id) => !expected.includes(id));
    const missing = expected.filter((id) => !named.includes(id));
    if (extra.length + missing.length > 0) parts.push(`ring v${newestRing.version} names ${newestRing.nodes.join(',')}${extra.length > 0 ? `; not members: ${extra.join(',')}` : ''}${missing.length > 0 ? `; members missing: ${missing.join(',')}` : ''}`);
  }
  const claimants = new Set(members.flatMap((v) => (v.status ? [v.status.claimant] : [])));
  if (claimants.size > 0) parts.push(`claimant ${[...claimants].join('|')}`);
  const newest = rings.filter((v) => v.ring!.transition !== undefined).sort((a, b) => b.ring!.version - a.ring!.version)[0];
  if (newest !== undefined) parts.push(describeTransition(newest, views));
  return parts.length > 0 ? parts.join('; ') : 'rings settled, nothing stuck seen';
}

function describeTransition(holder: NodeMembershipView, views: readonly NodeMembershipView[]): string {
  const t = holder.ring!.transition!;
  const sent = new Map<string, string[]>();
  for (const v of views) {
    for (const h of v.status?.handoffs ?? []) {
      const key = `${h.partition}>${h.toNode}`;
      const what = h.state === 'retrying' ? `retrying in ${(h.retryInMs / 1000).toFixed(0)} s after "${h.error}"` : `${h.state}${h.state === 'active' ? ` ${h.sent}/${h.total}` : ''}`;
      sent.set(key, [...(sent.get(key) ?? []), `${h.fromNode} ${what}`]);
    }
  }
  const copies = t.remaining.slice(0, MAX_LISTED).map((r) => {
    const senders = sent.get(`${r.partition}>${r.toNode}`);
    return `${r.partition}>${r.toNode} from [${r.sources.join(',')}]: ${senders ? senders.join(', ') : 'no node sends it'}`;
  });
  const more = t.remaining.length > MAX_LISTED ? ` and ${t.remaining.length - MAX_LISTED} more` : '';
  return `ring v${holder.ring!.version} (${holder.id}) in transition since v${t.since}, ${t.pendingPartitions} partitions pending, ${t.remaining.length} copies left: ${copies.join('; ')}${more}`;
}

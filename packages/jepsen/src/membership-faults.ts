// The membership part of the nemesis: a node joins mid-run (started with `--seeds` and
// `--auto-join`, behind its own fault proxy), or a member leaves (staged, planned and committed
// through the admin API, retried while an earlier change is still moving data). What it changed
// stays; `settle()` waits until the ring has no transition left and the nodes that left are gone,
// and says what every node knew when they did not.
import { createClient, type QuorumKvClient } from '@quorumkv/client/node';
import type { Cluster } from '@quorumkv/harness';
import { describeUnsettled, viewOf, type MembershipOutcome, type NodeMembershipView } from './membership-diagnosis.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class MembershipFaults {
  /** Nodes asked to leave (their process ends by itself once the leave finishes). */
  private readonly departed = new Set<number>();
  /** Hosts of departed nodes already given to a joiner. */
  private readonly reusedHosts = new Set<string>();
  private changed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly log: (line: string) => void,
  ) {}

  /** Indexes of the nodes that are (or are becoming) ring members. */
  members(): number[] {
    return this.cluster.nodes.map((_, i) => i).filter((i) => !this.departed.has(i));
  }

  /** Starts node `node` (the next index) with `--seeds` and `--auto-join`; it joins by itself. */
  async join(node: number): Promise<void> {
    if (node !== this.cluster.nodes.length) throw new Error(`nemesis plan out of step: join n${node + 1}, but the cluster has ${this.cluster.nodes.length} nodes`);
    const seed = this.members().find((i) => this.cluster.nodes[i]!.running);
    if (seed === undefined) throw new Error('no running member to seed a joining node from');
    // A departed node's host is free once its process ended: the run then stays on its addresses.
    const free = [...this.departed].map((i) => this.cluster.nodes[i]!).find((n) => !n.running && !this.reusedHosts.has(n.host));
    if (free) this.reusedHosts.add(free.host);
    await this.cluster.addNode({ args: ['--auto-join'], seed, ...(free ? { host: free.host } : {}), readyTimeoutMs: 60_000 });
    this.changed = true;
  }

  /** Asks member `node` to leave: stage, plan, commit, retried (bounded) while another change is in progress. */
  async leave(node: number, timeoutMs: number): Promise<void> {
    const id = this.cluster.nodes[node]!.id;
    const via = this.members().find((i) => i !== node && this.cluster.nodes[i]!.running);
    if (via === undefined) throw new Error(`no running member to ask for the leave of ${id}`);
    const admin = this.adminOf(via);
    const until = performance.now() + timeoutMs;
    let last: unknown;
    try {
      while (performance.now() < until) {
        try {
          await admin.admin.leave(id);
          const plan = await admin.admin.plan();
          await admin.admin.commit(plan.fromVersion);
          this.departed.add(node);
          this.changed = true;
          return;
        } catch (err) {
          last = err;
          await sleep(500);
        }
      }
    } finally {
      admin.close();
    }
    throw new Error(`the leave of ${id} was not committed within ${timeoutMs} ms: ${String(last)}`);
  }

  /**
   * After a run that changed membership: waits until every member answers with one ring without a
   * transition whose nodes are the members, and the nodes that left have stopped. Undefined when
   * membership did not change; otherwise `pass` with the seconds it took, or `fail` with what every
   * node knew when the wait ran out.
   */
  async settle(timeoutMs: number): Promise<MembershipOutcome | undefined> {
    if (!this.changed) return undefined;
    const started = performance.now();
    const members = this.members().map((i) => this.cluster.nodes[i]!.id).sort();
    let state = '';
    while (performance.now() - started < timeoutMs) {
      state = await this.ringState().catch((err: unknown) => `unreadable: ${String(err)}`);
      const gone = [...this.departed].every((i) => !this.cluster.nodes[i]!.running);
      if (gone && state === `settled ${members.join(',')}`) return { verdict: 'pass', seconds: (performance.now() - started) / 1000, members };
      await sleep(500);
    }
    const nodes = await this.views();
    this.log(`membership did not settle within ${timeoutMs} ms: members ${members.join(',')}, ring ${state}`);
    return { verdict: 'fail', members, timeoutMs, reason: describeUnsettled(nodes, members), nodes };
  }

  /** Every member's view, and that of each node that left and still runs. */
  private views(): Promise<NodeMembershipView[]> {
    const asked = this.cluster.nodes.flatMap((n, i) => {
      const role = this.departed.has(i) ? ('departed' as const) : ('member' as const);
      return role === 'member' || n.running ? [{ i, node: { id: n.id, address: n.address, role, running: n.running } }] : [];
    });
    return Promise.all(
      asked.map(async ({ i, node }) => {
        const admin = this.adminOf(i);
        try {
          return await viewOf(admin, node);
        } finally {
          admin.close();
        }
      }),
    );
  }

  /** `settled <ids>` when every member holds the same ring without a transition, else what differs. */
  private async ringState(): Promise<string> {
    const rings = await Promise.all(
      this.members().map(async (i) => {
        const admin = this.adminOf(i);
        try {
          return await admin.admin.ring();
        } finally {
          admin.close();
        }
      }),
    );
    if (rings.some((r) => r.transition !== undefined)) return 'in transition';
    if (new Set(rings.map((r) => r.checksum)).size > 1) return 'members disagree';
    return `settled ${rings[0]!.nodes.map((n) => n.id).sort().join(',')}`;
  }

  private adminOf(i: number): QuorumKvClient {
    return createClient({ nodes: [this.cluster.nodes[i]!.address], routing: false, timeoutMs: 5_000 });
  }
}

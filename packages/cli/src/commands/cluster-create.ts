// quorumkv cluster create <addr>...: nodes started alone become one cluster. The first node proposes
// its cluster to the others, each confirms it is alone and empty and takes it, their joins are
// staged, and the plan is shown and committed (the path every join takes); the command then waits
// until every node holds the finished ring.
import type { QuorumKvClient, RingView } from '@quorumkv/client/node';
import type { Command } from 'commander';
import { emit, withClient } from '../context.js';
import { CliExit, ExitCode } from '../exit-codes.js';
import { fields, type Output } from '../output.js';
import { planText } from './cluster-changes.js';

/** Proposals restart nodes and wait for gossip: longer than one request's default deadline. */
const CREATE_TIMEOUT_MS = 60_000;
const SETTLE_POLL_MS = 250;

/**
 * Waits (at most `timeoutMs`) until every node at `addresses` holds the same ring without a
 * transition; returns it. @throws CliExit (unavailable) naming what it last saw
 */
async function settled(client: QuorumKvClient, addresses: readonly string[], timeoutMs: number): Promise<RingView> {
  const until = Date.now() + timeoutMs;
  let seen = 'no answer yet';
  for (;;) {
    try {
      const rings = await Promise.all(addresses.map((node) => client.admin.ring({ node, timeoutMs: 2_000 })));
      const first = rings[0]!;
      if (rings.every((r) => r.transition === undefined && r.checksum === first.checksum)) return first;
      seen = rings.map((r, i) => `${addresses[i]} v${r.version}${r.transition ? ' (moving)' : ''}`).join(', ');
    } catch (err) {
      seen = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= until) throw new CliExit(`committed, but the nodes did not all hold the finished ring within ${timeoutMs / 1000} s (${seen}); watch \`cluster transfers\``, ExitCode.Unavailable);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

/** Adds `cluster create` to the `cluster` command. */
export function registerClusterCreateCommand(cluster: Command, out: Output): void {
  cluster
    .command('create <first> <others...>')
    .description(
      'form one cluster from empty nodes started alone (no --initial-cluster, no --seeds): <first> proposes its cluster to the others, each confirms and takes it, then their joins are planned and committed',
    )
    .option('--no-commit', 'stop after staging the joins and showing the plan (apply it with `cluster commit`)')
    .action(async (first: string, others: string[], f: { commit: boolean }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const at = { node: first, timeoutMs: Math.max(g.timeout, CREATE_TIMEOUT_MS) };
        const created = await client.admin.createCluster(others, at);
        const plan = created.staged.joins.length > 0 ? await client.admin.plan(at) : undefined;
        const ringVersion = plan !== undefined && f.commit ? await client.admin.commit(plan.fromVersion, at) : undefined;
        const ring = f.commit ? await settled(client, [first, ...others], at.timeoutMs) : undefined;
        emit(out, g, { ...created, plan, ringVersion, ring: ring && { version: ring.version, checksum: ring.checksum, nodes: ring.nodes.map((n) => n.id) } }, () => {
          const nodes = fields(created.nodes.map((n) => [n.address, `${n.nodeId}${n.alreadyMember ? ' (already a member)' : ' (took the cluster)'}`]));
          const lines = [`cluster ${created.clusterId}, formed around ${first}\n${nodes}`];
          if (plan !== undefined) lines.push(planText(plan));
          if (ring !== undefined) lines.push(`committed: every node holds ring version ${ring.version} (checksum ${ring.checksum}) of ${ring.nodes.length} nodes`);
          else lines.push('not committed: review with `cluster plan`, apply with `cluster commit`');
          return lines.join('\n\n');
        });
      }, first);
    });
}

// A node started with --seeds and --auto-join joins by itself; asked later to leave, it must stay
// gone. Its leave ends with a ring that no longer names it, a few seconds before its process stops
// (hints handed over, the final ring gossiped): --auto-join must not take that ring for "not joined
// yet" and stage and commit the node's join again. The Jepsen run of seed 102 (join n6, leave n6)
// ended with a transition whose transfers went to n6, which had exited: the ring never settled.
import type { NodeHandle } from '@quorumkv/harness';
import { eventually, fetchRing, settled, sleep, startSeeded, useCluster, waitAllUp } from './support.js';

const Q = 16;
const HOST_BASE = 17;
const FLAGS = ['--log-level', 'warn', '--gossip-interval-ms', '200'];

describe('a node that joined with --auto-join, then left', () => {
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS });
  let fourth: NodeHandle | undefined;
  let exited = false;

  afterAll(async () => {
    if (!exited) await fourth?.kill('SIGKILL').catch(() => undefined);
  });

  it('stays out of the ring: the change ends and no join of it follows', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    fourth = await startSeeded({ id: 'n4', hostBase: HOST_BASE, index: 3, seed: n2, near: n1, args: ['--partitions', String(Q), '--n', '3', '--auto-join', ...FLAGS], onExit: () => (exited = true) });
    await settled(clients, [n1, n2, n3, fourth], (r) => r.nodes.some((n) => n.id === 'n4' && n.state === 'active'), 60_000);

    const admin = clients.of(n1).admin;
    await admin.leave({ nodeId: 'n4' });
    await admin.commit({ fromVersion: 0n });
    expect(await eventually(() => Promise.resolve(exited), 60_000, 100)).toBe(true);
    // A join staged in the node's last seconds shows up as a transition naming it again; give
    // gossip a moment to spread whatever the claimant made.
    await sleep(2_000);
    const rings = await Promise.all([n1, n2, n3].map((n) => fetchRing(clients, n)));
    const named = rings.flatMap((r) => [...r.nodes, ...(r.transition?.nodes ?? [])].filter((n) => n.id === 'n4').map((n) => `v${r.version} ${n.state}${r.transition ? ` in transition since v${r.transition.since}` : ''}`));
    expect({ ringsNamingN4: named }).toEqual({ ringsNamingN4: [] });
    const last = await settled(clients, [n1, n2, n3], (r) => !r.nodes.some((n) => n.id === 'n4'), 20_000);
    expect(last.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
  }, 150_000);
});

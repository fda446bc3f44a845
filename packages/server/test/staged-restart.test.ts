// Staged membership changes survive a restart of every node: gossip alone would forget them, so
// each node keeps the last staged changes it saw in its storage and offers them back to gossip.
import { useCluster } from './support.js';

const HOST_BASE = 90;

describe('staged changes across a restart of every node', () => {
  const { clients, nodes } = useCluster({ nodes: 1, hostBase: HOST_BASE, partitions: 16, extraArgs: ['--log-level', 'warn'] });

  it('a staged move is still staged after the only node restarts, and a clear stays cleared', async () => {
    const node = nodes()[0]!;
    await expect(clients.of(node).admin.plan({})).rejects.toThrow(/nothing staged/);
    await clients.of(node).admin.move({ partitions: [3, 5], toNode: 'n1' });
    // The claimant tick (every few hundred ms) writes it to disk.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await node.restart({ signal: 'SIGKILL' });
    clients.reset(node);
    const plan = await clients.of(node).admin.plan({});
    expect(plan.staged?.moves).toEqual([expect.objectContaining({ toNode: 'n1', partitions: [3, 5] })]);
    expect((await clients.of(node).admin.clear({})).cleared).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await node.restart({ signal: 'SIGKILL' });
    clients.reset(node);
    await expect(clients.of(node).admin.commit({ fromVersion: 0n })).rejects.toThrow(/nothing staged/);
  }, 60_000);
});

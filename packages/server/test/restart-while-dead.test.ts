// Issue #16, observation 8: a node restarted while another is dead must learn of that member from
// its peers' state (as dead), never treat it as alive, and verify must not count it as a live
// replica. The old node never created a record for it (shown as `unspecified@0` forever), routed
// to it as if alive, and verify counted it.
import { Liveness } from '@quorumkv/protocol';
import type { NodeHandle } from '@quorumkv/harness';
import { eventually, memberAs, sleep, useCluster } from './support.js';

describe('a node restarted while another is dead', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 181 });

  const livenessOf = async (observer: NodeHandle, id: string): Promise<Liveness> => (await memberAs(clients, observer, id)).liveness;

  it('learns of the dead member as dead, does not count it in verify, and sees it alive when it returns', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await n3.kill('SIGKILL');
    expect(await eventually(async () => (await livenessOf(n1, 'n3')) === Liveness.DEAD && (await livenessOf(n2, 'n3')) === Liveness.DEAD, 20_000)).toBe(true);

    await n2.kill('SIGKILL');
    clients.reset(n2);
    n2.start();
    await n2.waitReady();
    // Known from the moment it serves (it waits for gossip to know every ring node), and dead.
    expect(await livenessOf(n2, 'n3')).toBe(Liveness.DEAD);
    for (let i = 0; i < 10; i++) {
      expect(await livenessOf(n2, 'n3')).toBe(Liveness.DEAD);
      await sleep(200);
    }
    const report = await clients.of(n2).admin.verify({});
    expect(report.healthy).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
    expect(report.problems.every((p) => p.down.includes('n3'))).toBe(true);

    n3.start();
    await n3.waitReady();
    expect(await eventually(async () => (await livenessOf(n2, 'n3')) === Liveness.ALIVE, 10_000)).toBe(true);
    expect(await eventually(async () => (await clients.of(n2).admin.verify({})).healthy, 10_000)).toBe(true);
  });
});

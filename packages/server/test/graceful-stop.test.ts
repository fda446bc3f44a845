// Issue #16, observation 9: SIGTERM announces the leave and waits (bounded) until it is sent, so
// peers show the node as left, never suspect or dead; it comes back as alive. The old node queued
// the leave and stopped its timers at once: peers saw suspect, then dead.
import { Liveness } from '@quorumkv/protocol';
import type { NodeHandle } from '@quorumkv/harness';
import { eventually, memberAs, sleep, useCluster } from './support.js';

describe('graceful stop', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 185 });

  const livenessOf = async (observer: NodeHandle, id: string): Promise<Liveness> => (await memberAs(clients, observer, id)).liveness;

  it('peers see the stopped node as left, never suspect or dead, and alive again after its restart', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    const seen: Liveness[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const o of [n1, n2]) seen.push(await livenessOf(o, 'n3'));
        await sleep(50);
      }
    })();
    const stopped = Date.now();
    await n3.stop();
    const stopMs = Date.now() - stopped;
    // Through several suspicion timeouts (2 s here): a node that was not told would be dead by now.
    await sleep(8_000);
    watching = false;
    await watch;
    expect(stopMs).toBeLessThan(5_000);
    expect(seen.filter((l) => l !== Liveness.ALIVE && l !== Liveness.LEFT)).toEqual([]);
    expect(seen.slice(-2)).toEqual([Liveness.LEFT, Liveness.LEFT]);

    n3.start();
    await n3.waitReady();
    expect(await eventually(async () => (await livenessOf(n1, 'n3')) === Liveness.ALIVE && (await livenessOf(n2, 'n3')) === Liveness.ALIVE, 10_000)).toBe(true);
  });
});

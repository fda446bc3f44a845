// Issue #16, observation 7: one node that cannot receive replies (restarted with an --advertise
// nothing listens at) accuses its healthy peers over and over. Its claim to live at the wrong
// address is refused (it still answers where the others know it), the accused refute, and since a
// suspect is routed to until it is found dead, writes between the healthy nodes never go to hints.
// The old nodes routed around every accused node: writes went to hints while it was suspect.
import { Liveness } from '@quorumkv/protocol';
import { freePort, type NodeHandle } from '@quorumkv/harness';
import { enc, memberAs, sleep, useCluster, waitAllUp } from './support.js';

const HOST_BASE = 177;

describe('a node that cannot receive replies', () => {
  // A 1 s protocol period leaves time to restart n3 before its peers find it dead.
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: HOST_BASE, extraArgs: ['--gossip-interval-ms', '1000'] });

  const view = (observer: NodeHandle, id: string) => memberAs(clients, observer, id);

  const hintsStored = async (node: NodeHandle): Promise<number> =>
    Number(/^quorumkv_hints_stored_total (\d+)/m.exec(await (await fetch(`${node.url}/metrics`)).text())?.[1] ?? 0);

  it('does not make the healthy nodes route around each other, nor declare them dead', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, [n1, n2, n3]);

    const nowhere = `127.0.0.${HOST_BASE + 2}:${await freePort(`127.0.0.${HOST_BASE + 2}`)}`;
    await n3.kill('SIGKILL');
    clients.reset(n3);
    n3.start(['--advertise', nowhere]);
    await n3.waitReady();
    const hintsBefore = await Promise.all([n1, n2].map((n) => hintsStored(n)));
    const n1Before = (await view(n2, 'n1')).incarnation;
    const n2Before = (await view(n1, 'n2')).incarnation;

    // Writes through both healthy nodes until n3 has accused them (they refuted: their incarnations
    // rose) and a few seconds more, bounded. The bound is generous: on a loaded 2-core CI machine n3
    // once needed more than 45 s to learn the others and accuse them. Replies to its own messages are lost, so n3 learns the
    // others only when one of them pushes its state to it (a push-pull every 10 periods to a random
    // live member), and accuses them from then on, at the pace its local health allows.
    const healthyStates: Liveness[] = [];
    let writes = 0;
    let accusedAt: number | undefined;
    for (const until = Date.now() + 100_000; Date.now() < until && (accusedAt === undefined || Date.now() - accusedAt < 3_000); ) {
      const via = writes % 2 === 0 ? n1 : n2;
      await clients.of(via).kv.put({ key: enc(`k${writes}`), value: enc('v'), w: 2 });
      writes++;
      if (writes % 10 === 0) {
        const [a, b] = [await view(n2, 'n1'), await view(n1, 'n2')];
        healthyStates.push(a.liveness, b.liveness);
        if (accusedAt === undefined && a.incarnation + b.incarnation > n1Before + n2Before) accusedAt = Date.now();
      }
      await sleep(5);
    }
    // No write went to a hint (hints are delivered within moments, so the counter is what tells):
    // every node stayed routable, the accused ones included.
    expect(await Promise.all([n1, n2].map((n) => hintsStored(n)))).toEqual([hintsBefore[0], hintsBefore[1]]);
    expect(healthyStates.filter((l) => l === Liveness.DEAD || l === Liveness.LEFT || l === Liveness.UNSPECIFIED)).toEqual([]);
    expect(writes).toBeGreaterThan(100);
    // Its claim to be at an address nobody listens at was refused: peers reach it where it listens.
    expect((await view(n1, 'n3')).address).toBe(n3.address);
    // The fault was active: n3 accused the healthy nodes.
    expect(accusedAt).toBeDefined();
  }, 160_000);
});

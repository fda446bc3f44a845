// Issue #16, observation 6: a node restarted on a new address. Its refutation at a higher
// incarnation carries the address; peers take it once the old address is silent, and replication
// and hints dial it. Moving back is just as prompt and never makes it dead. The old node accepted
// a new address only after 60 s (deadReclaimMs), kept dialling the ring's address forever, and
// moving back made the node "dead" for about 61 s while it served.
import { Liveness } from '@quorumkv/protocol';
import { freePort, NodeHandle, startCluster, type Cluster } from '@quorumkv/harness';
import { Clients, enc, eventually, localValues, memberAs, sleep } from './support.js';

const HOST_BASE = 171;

describe('a node restarted on a new address', () => {
  let cluster: Cluster;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: HOST_BASE, extraArgs: ['--hint-delivery-interval-ms', '200'] });
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  /** How `observer` sees n3: its address and liveness. */
  const n3As = (observer: NodeHandle) => memberAs(clients, observer, 'n3');

  /** Restarts n3 (killed) listening and advertising at `host:port`; resolves when it serves there. */
  async function restartAt(host: string, port: number): Promise<NodeHandle> {
    const n3 = cluster.nodes[2]!;
    await n3.kill('SIGKILL');
    n3.start(['--listen', `${host}:${port}`, '--advertise', `${host}:${port}`]);
    const there = new NodeHandle({ id: 'n3', host, port, args: [] });
    expect(await eventually(async () => (await fetch(`${there.url}/readyz`)).status === 200, 20_000, 50)).toBe(true);
    return there;
  }

  it('is reached at its new address within seconds, by gossip, replication and hints, and again when it moves back, without being found dead while it serves', async () => {
    const [n1, n2, n3] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await clients.of(n1).kv.put({ key: enc('before'), value: enc('v0'), w: 3 });

    // Down, then a write n3 misses: n1 keeps a hint for it.
    await n3.kill('SIGKILL');
    await clients.of(n1).kv.put({ key: enc('while-down'), value: enc('v1'), w: 2 });

    const newHost = `127.0.0.${HOST_BASE + 3}`;
    const moved = await restartAt(newHost, await freePort(newHost));
    const started = Date.now();
    const seenMoved = await eventually(async () => {
      for (const o of [n1, n2]) {
        const v = await n3As(o);
        if (v.address !== moved.address || v.liveness !== Liveness.ALIVE) return false;
      }
      return true;
    }, 15_000, 50);
    expect(seenMoved).toBe(true);
    const tookMs = Date.now() - started;
    expect(tookMs).toBeLessThan(10_000);
    // The hint reaches n3 where it is now, and new writes replicate there (w=3 needs it).
    expect(await eventually(async () => (await localValues(clients, moved, 'while-down'))?.[0] === 'v1', 10_000)).toBe(true);
    await clients.of(n1).kv.put({ key: enc('after-move'), value: enc('v2'), w: 3 });
    expect(await localValues(clients, moved, 'after-move')).toEqual(['v2']);

    // Back to where it was founded. It is down while it restarts (peers may find it dead then);
    // once they see it alive where it serves, they never see it dead again.
    const back = await restartAt(n3.host, n3.port);
    clients.reset(back);
    const serving = Date.now();
    const aliveBack = async (o: NodeHandle): Promise<boolean> => {
      const v = await n3As(o);
      return v.address === back.address && v.liveness === Liveness.ALIVE;
    };
    expect(await eventually(async () => (await aliveBack(n1)) && (await aliveBack(n2)), 15_000, 50)).toBe(true);
    expect(Date.now() - serving).toBeLessThan(5_000);
    const views: Liveness[] = [];
    for (const until = Date.now() + 3_000; Date.now() < until; await sleep(50)) views.push((await n3As(n1)).liveness);
    expect(views.filter((l) => l !== Liveness.ALIVE)).toEqual([]);
    await clients.of(n2).kv.put({ key: enc('after-return'), value: enc('v3'), w: 3 });
    expect(await localValues(clients, back, 'after-return')).toEqual(['v3']);
  });
});

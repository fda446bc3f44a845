// Adversarial: a note that outlives the copy it vouches for. A node X receives partition P in one
// change (it notes, durably, that it holds P complete for that change), and P goes back in the next,
// so X drops its copy. Does X still confirm it holds P to a node that asks with `or_later` (one that
// missed the rings between, so it names the earliest change it may have missed)? If P later comes
// back to X, such a confirmation would let the asker drop a copy X does not have yet. A node drops a
// partition only when it is none of the first 7 nodes of the partition's walk (MAX_N): 8 nodes.
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ReplicaService } from '@quorumkv/protocol';
import { partitionOf, preferenceListForPartition } from '@quorumkv/ring';
import { enc, eventually, fetchRing, localValues, settled, useCluster } from './support.js';

const Q = 16;
const HOST = '127.0.0.15';
const FLAGS = ['--gossip-interval-ms', '200', '--log-level', 'warn'];

describe('a handoff note for a partition the node gave away', () => {
  const { clients, nodes } = useCluster({ nodes: 8, hosts: Array<string>(8).fill(HOST), partitions: Q, n: 1, r: 1, w: 1, extraArgs: FLAGS });

  it('no longer confirms that the node holds the partition once it dropped its copy', async () => {
    const all = nodes();
    const n1 = all[0]!;
    const ring0 = await fetchRing(clients, n1);
    // A partition and a node outside its walk's first 7 nodes: the node holds no copy of it.
    const ids = all.map((n) => n.id);
    const p = [...Array(Q).keys()].find((q) => ids.some((id) => !preferenceListForPartition(ring0, q, 7).primaries.includes(id)))!;
    const xId = ids.find((id) => !preferenceListForPartition(ring0, p, 7).primaries.includes(id))!;
    const x = all.find((n) => n.id === xId)!;
    const home = ring0.owners[p]!;
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`).filter((k) => partitionOf(Q, 'default', k) === p).slice(0, 20);
    for (const key of keys) await clients.of(n1).kv.put({ key: enc(key), value: enc('v'), w: 1 });
    const admin = clients.of(n1).admin;
    const move = async (to: string): Promise<number> => {
      const from = (await fetchRing(clients, n1)).version;
      await admin.move({ partitions: [p], toNode: to });
      const plan = await admin.plan({});
      await admin.commit({ fromVersion: plan.fromVersion });
      await settled(clients, nodes(), (r) => r.version > from && r.owners[p] === to, 30_000);
      return Number(plan.fromVersion) + 1;
    };
    const t1 = await move(xId);
    expect(await localValues(clients, x, keys[0]!)).toEqual(['v']);
    const t2 = await move(home);
    // X dropped its copy once the home node confirmed it holds P again.
    expect(await eventually(async () => (await localValues(clients, x, keys[0]!)) === undefined, 30_000, 250)).toBe(true);
    const replica = createClient(ReplicaService, createConnectTransport({ baseUrl: x.url, httpVersion: '2' }));
    const ring = await fetchRing(clients, x);
    const header = { fromNode: home, ringVersion: BigInt(ring.version), clusterId: (await admin.status({})).clusterId };
    const asked = await replica.handoffHeld({ header, since: BigInt(t1), partitions: [p], orLater: true });
    const exact = await replica.handoffHeld({ header, since: BigInt(t1), partitions: [p] });
    console.log(`P=${p} (${keys.length} keys) ${home} -> ${xId} (change from v${t1}) -> ${home} (v${t2}); ${xId} dropped it; asked about P since v${t1}: or_later [${asked.complete.join(',')}], exact [${exact.complete.join(',')}]`);
    expect({ orLater: asked.complete, exact: exact.complete }).toEqual({ orLater: [], exact: [] });
  }, 120_000);
});

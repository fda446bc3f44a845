// The claimant (the lowest-id live member) is killed with -9 right after it answered a commit,
// while the join is still moving data, and is a source of some of the transfers. The next member takes over: it finishes the
// transition from what gossip holds (the ring with the transition and the transfers each node
// reported), other replicas send what the dead node would have sent, and every acknowledged write
// stays readable.
import { join } from 'node:path';
import { NodeHandle, freePort } from '@quorumkv/harness';
import type { Ring } from '@quorumkv/ring';
import { dec, enc, eventually, fetchRing, useCluster, waitAllUp } from './support.js';

const HOST_BASE = 145;
const FLAGS = ['--partitions', '64', '--n', '3', '--r', '2', '--w', '2', '--gossip-interval-ms', '200', '--log-level', 'warn'];
// Slow transfers, so the claimant dies with most of them still to do.
const THROTTLE = ['--handoff-pace', 'fixed', '--handoff-bytes-per-second', '40000'];
const KEYS = 400;
const VALUE = 'x'.repeat(1000);

describe('claimant failover during a ring change', () => {
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, partitions: 64, n: 3, r: 2, w: 2, extraArgs: [...FLAGS.slice(6), ...THROTTLE] });
  let fourth: NodeHandle | undefined;

  afterAll(async () => {
    await fourth?.stop();
  });

  it('the next member finishes a join when the claimant is killed mid-change', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    for (let i = 0; i < KEYS; i += 40) {
      await Promise.all(Array.from({ length: 40 }, (_, j) => clients.of(nodes()[j % 3]!).kv.put({ key: enc(`k${i + j}`), value: enc(`${i + j}:${VALUE}`), w: 2 })));
    }
    const host = `127.0.0.${HOST_BASE + 3}`;
    const port = await freePort(host);
    const dataDir = join(n1.dataDir!, '..', 'n4');
    fourth = new NodeHandle({ id: 'n4', host, port, dataDir, args: ['--node-id', 'n4', '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', n2.address, ...FLAGS, ...THROTTLE] });
    fourth.start();
    await fourth.waitReady(30_000);
    const n4 = fourth;
    expect((await clients.of(n2).admin.status({})).claimant).toBe('n1');

    const admin = clients.of(n3).admin;
    expect(await eventually(async () => (await admin.join({ nodeId: 'n4' }).catch(() => undefined)) !== undefined)).toBe(true);
    const { fromVersion } = await admin.plan({});
    // Killed as soon as the commit is answered: the answer came only once another member held the
    // ring with the transition (with transfers still to do).
    await admin.commit({ fromVersion });
    await n1.kill('SIGKILL');
    const held = await Promise.all([n2, n3].map((n) => fetchRing(clients, n)));
    expect(held.some((r) => r.transition !== undefined && r.transition.done.some((d) => !d))).toBe(true);

    const rest = [n2, n3, n4];
    let last: Ring | undefined;
    const finished = await eventually(async () => {
      const rings = await Promise.all(rest.map((n) => fetchRing(clients, n)));
      last = rings[0];
      return rings.every((r) => r.transition === undefined && r.nodes.some((x) => x.id === 'n4') && r.checksum === rings[0]!.checksum);
    }, 90_000, 250);
    expect({ finished, version: last?.version }).toEqual({ finished: true, version: expect.any(Number) });
    expect((await clients.of(n3).admin.status({})).claimant).toBe('n2');

    const wrong: string[] = [];
    for (let i = 0; i < KEYS; i += 40) {
      await Promise.all(
        Array.from({ length: 40 }, async (_, j) => {
          const key = `k${i + j}`;
          const got = await clients.of(rest[j % 3]!).kv.get({ key: enc(key), r: 2 });
          const values = got.found ? got.siblings.map((s) => dec(s.value)) : [];
          if (!values.includes(`${i + j}:${VALUE}`)) wrong.push(`${key}: ${values.length} values`);
        }),
      );
    }
    expect(wrong).toEqual([]);
  }, 180_000);
});

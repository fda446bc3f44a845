// Adversarial review of issue #19: an ownership transfer is streamed from one source replica. A
// write acknowledged by the other replicas (w = 2) while the source was down is missing from the
// source until its hint is delivered; were a transfer to run from it before that, the new owner
// would get nothing for the key and the replica it replaces would drop its copy. Every
// acknowledged write must still be held by at least w of its owners afterwards (r + w > n).
import { join } from 'node:path';
import { NodeHandle, freePort } from '@quorumkv/harness';
import type { Ring } from '@quorumkv/ring';
import { enc, eventually, fetchRing, localRecord, primariesOf, waitAllUp, useCluster } from './support.js';

const Q = 16;
const KEYS = 120;
const HOST_BASE = 24;
// Hints wait (a target that was away): the window between a write and its delivery, made long.
const FLAGS = ['--partitions', String(Q), '--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn', '--gossip-interval-ms', '200', '--replica-timeout-ms', '3000', '--hint-delivery-interval-ms', '600000'];

describe('ownership handoff from a source that missed acknowledged writes', () => {
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS.slice(6) });
  let fourth: NodeHandle | undefined;
  afterAll(async () => {
    await fourth?.stop();
  });

  it('leaves every acknowledged write on at least w of its new owners', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    // The source-to-be is down while the writes are acknowledged by the two others; it comes back
    // with an empty copy of them, and the coordinator keeps a hint for it.
    await n1.kill('SIGKILL');
    const acked: string[] = [];
    // A put that fails on a loaded machine (a quorum short of answers) says nothing: tried again, three times at most.
    const put = async (key: string): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return void (await clients.of(n2).kv.put({ key: enc(key), value: enc(`v-${key}`), w: 2 }));
        } catch (err) {
          if (attempt === 2) throw err;
        }
      }
    };
    for (let i = 0; i < KEYS; i += 20) {
      const batch = Array.from({ length: 20 }, (_, j) => `k${i + j}`);
      await Promise.all(batch.map((key) => put(key).then(() => acked.push(key))));
    }
    expect(acked.length).toBe(KEYS);
    // The hints exist before n1 returns. They are not checked after: n2 delivers them as soon as
    // gossip shows n1 alive, which on a fast run is before the join below (then the transfer's
    // source is already whole); on a slow one, after it, which is the case this test is about.
    expect(Number((await clients.of(n2).admin.status({})).hintsPending)).toBeGreaterThan(0);
    n1.start();
    await n1.waitReady(30_000);
    await waitAllUp(clients, nodes(), 30_000);

    const host = `127.0.0.${HOST_BASE + 3}`;
    const port = await freePort(host);
    const dataDir = join(n1.dataDir!, '..', 'n4');
    fourth = new NodeHandle({ id: 'n4', host, port, dataDir, logFile: join(dataDir, '..', 'n4.log'), args: ['--node-id', 'n4', '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', n3.address, ...FLAGS] });
    fourth.start();
    await fourth.waitReady(30_000);
    const admin = clients.of(n2).admin;
    expect(await eventually(async () => (await admin.join({ nodeId: 'n4' }).catch(() => undefined))?.stagedJoins.includes('n4') === true, 20_000)).toBe(true);
    await admin.commit({ fromVersion: 0n });
    const all = [n1, n2, n3, fourth];
    let ring: Ring | undefined;
    const settled = await eventually(async () => {
      const rings = await Promise.all(all.map((n) => fetchRing(clients, n)));
      ring = rings[0];
      return rings.every((r) => r.transition === undefined && r.nodes.some((n) => n.id === 'n4') && r.checksum === rings[0]!.checksum);
    }, 90_000, 250);
    expect(settled).toBe(true);

    const byId = new Map(all.map((node) => [node.id, node]));
    const short: string[] = [];
    for (const key of acked) {
      const owners = primariesOf(ring!, key, 3);
      const holders = [];
      for (const id of owners) if ((await localRecord(clients, byId.get(id)!, key))?.values.includes(`v-${key}`)) holders.push(id);
      if (holders.length < 2) short.push(`${key}: owners ${owners.join(',')}, held by ${holders.join(',') || 'none'}`);
    }
    expect(short).toEqual([]);
  }, 180_000);
});

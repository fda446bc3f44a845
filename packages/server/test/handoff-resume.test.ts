// An ownership transfer interrupted by kill -9 of the receiving node resumes from its checkpoint
// once the node is back: the records acknowledged in total stay within 1.2x of what the moved
// partitions hold (a transfer restarted from zero would send the part done before the kill again),
// and the new owner ends up with every key.
import { join } from 'node:path';
import { NodeHandle, freePort } from '@quorumkv/harness';
import { partitionOf } from '@quorumkv/ring';
import { dec, enc, eventually, fetchRing, useCluster, waitAllUp } from './support.js';

const HOST_BASE = 135;
const Q = 8;
const KEYS = 480;
const VALUE = 'v'.repeat(1000);
// n = 1: each moved partition is one transfer, from its old owner to the new one. Small, slow
// batches, so the kill lands in the middle.
const FLAGS = ['--partitions', String(Q), '--n', '1', '--r', '1', '--w', '1', '--gossip-interval-ms', '200', '--log-level', 'warn'];
const HANDOFF = ['--handoff-pace', 'fixed', '--handoff-batch-items', '4', '--handoff-bytes-per-second', '24000', '--handoff-concurrency', '1'];

async function metric(node: NodeHandle, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

describe('handoff resumes from its checkpoint', () => {
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, partitions: Q, n: 1, r: 1, w: 1, extraArgs: [...FLAGS.slice(8), ...HANDOFF] });
  let fourth: NodeHandle | undefined;

  afterAll(async () => {
    await fourth?.stop();
  });

  it('a transfer interrupted by kill -9 of the receiver resumes after the last acknowledged batch', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    for (let i = 0; i < KEYS; i += 40) {
      await Promise.all(Array.from({ length: 40 }, (_, j) => clients.of(nodes()[j % 3]!).kv.put({ key: enc(`k${i + j}`), value: enc(VALUE), w: 1 })));
    }
    const host = `127.0.0.${HOST_BASE + 3}`;
    const port = await freePort(host);
    const dataDir = join(n1.dataDir!, '..', 'n4');
    const args = ['--node-id', 'n4', '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', n2.address, ...FLAGS, ...HANDOFF];
    fourth = new NodeHandle({ id: 'n4', host, port, dataDir, args });
    fourth.start();
    await fourth.waitReady(30_000);
    const n4 = fourth;

    const admin = clients.of(n1).admin;
    expect(await eventually(async () => (await admin.join({ nodeId: 'n4' }).catch(() => undefined)) !== undefined)).toBe(true);
    const plan = await admin.plan({});
    const moved = new Set(plan.moves.map((m) => m.partition));
    const expected = Array.from({ length: KEYS }, (_, i) => partitionOf(Q, enc('default'), enc(`k${i}`))).filter((p) => moved.has(p)).length;
    await admin.commit({ fromVersion: plan.fromVersion });

    // Close to half the records arrived: kill the receiver there (sending all of that again would
    // exceed 1.2x), and bring it back.
    expect(await eventually(async () => (await metric(n4, 'quorumkv_handoff_records_received_total')) >= 0.4 * expected, 30_000, 20)).toBe(true);
    const before = await metric(n4, 'quorumkv_handoff_records_received_total');
    expect(before).toBeLessThan(0.8 * expected);
    await n4.kill('SIGKILL');
    clients.reset(n4);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    n4.start();
    await n4.waitReady(30_000);

    const done = await eventually(async () => {
      const rings = await Promise.all([n1, n2, n3, n4].map((n) => fetchRing(clients, n)));
      return rings.every((r) => r.transition === undefined && r.owners.filter((o) => o === 'n4').length === moved.size);
    }, 60_000, 250);
    expect(done).toBe(true);
    let acknowledged = 0;
    for (const node of [n1, n2, n3]) acknowledged += await metric(node, 'quorumkv_handoff_records_sent_total');
    expect(acknowledged).toBeGreaterThanOrEqual(expected);
    expect(acknowledged).toBeLessThan(1.2 * expected);
    // The new owner answers every key of its partitions by itself (n = 1: it is the only replica).
    const missing: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      if (!moved.has(partitionOf(Q, enc('default'), enc(`k${i}`)))) continue;
      const got = await clients.of(n4).kv.get({ key: enc(`k${i}`), r: 1 });
      if (!got.found || dec(got.siblings[0]!.value) !== VALUE) missing.push(`k${i}`);
    }
    expect(missing).toEqual([]);
  }, 180_000);
});

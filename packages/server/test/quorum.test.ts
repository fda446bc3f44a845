// 3 nodes, n=3 r=2 w=2: acknowledged writes are on every replica; a killed node does not stop
// reads or writes; a restarted node receives what it missed (hinted handoff).
import { startCluster, type Cluster } from '@quorumkv/harness';
import { Clients, dec, enc, eventually, localValues } from './support.js';

describe('3-node cluster, n=3 r=2 w=2', () => {
  let cluster: Cluster;
  const clients = new Clients();

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2 });
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  it('reads an acknowledged put back from every node, and every node holds a copy', async () => {
    const [a, b, c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    const put = await clients.of(a).kv.put({ key: enc('k1'), value: enc('v1') });
    expect(put.receipt!.answered).toBeGreaterThanOrEqual(2);
    expect(put.receipt!.required).toBe(2);
    for (const node of [a, b, c]) {
      const got = await clients.of(node).kv.get({ key: enc('k1') });
      expect(got.found).toBe(true);
      expect(got.siblings.map((s) => dec(s.value))).toEqual(['v1']);
    }
    for (const node of [a, b, c]) expect(await eventually(async () => (await localValues(clients, node, 'k1'))?.[0] === 'v1')).toBe(true);
  });

  it('keeps serving with one node killed, and the restarted node gets every write it missed', async () => {
    const [a, b, c] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    await c.kill('SIGKILL');
    clients.reset(c);
    const keys = Array.from({ length: 50 }, (_, i) => `missed-${i}`);
    for (const [i, k] of keys.entries()) {
      const via = i % 2 === 0 ? a : b;
      const put = await clients.of(via).kv.put({ key: enc(k), value: enc(`value-${i}`) });
      expect(put.receipt!.answered).toBeGreaterThanOrEqual(2);
    }
    for (const [i, k] of keys.entries()) {
      const got = await clients.of(i % 2 === 0 ? b : a).kv.get({ key: enc(k) });
      expect(got.siblings.map((s) => dec(s.value))).toEqual([`value-${i}`]);
    }
    c.start();
    await c.waitReady();
    const started = Date.now();
    const healed = await eventually(async () => {
      for (const [i, k] of keys.entries()) if ((await localValues(clients, c, k))?.[0] !== `value-${i}`) return false;
      return true;
    }, 20_000);
    expect(healed).toBe(true);
    process.stdout.write(`restarted node held all ${keys.length} missed writes ${Date.now() - started} ms after it was ready\n`);
    // Hints were dropped once delivered.
    expect(await eventually(async () => (await clients.of(a).admin.status({})).hintsPending === 0n && (await clients.of(b).admin.status({})).hintsPending === 0n)).toBe(true);
  });
});

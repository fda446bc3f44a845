// 5 nodes, n=3 w=2: with two of a key's primaries killed, puts succeed through fallbacks (sloppy
// quorum); when the primaries return, the hints reach them and the fallbacks drop the hints.
import { QuorumFailureSchema } from '@quorumkv/protocol';
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, dec, enc, eventually, fetchRing, localValues, primariesOf } from './support.js';

describe('sloppy quorum and hinted handoff, 5 nodes, n=3 w=2', () => {
  let cluster: Cluster;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 5, n: 3, r: 2, w: 2 });
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  it('writes through fallbacks while two primaries are down, then hands the writes back', async () => {
    const byId = new Map(cluster.nodes.map((n) => [n.id, n]));
    const ring = await fetchRing(clients, cluster.nodes[0]!);
    const key = 'sloppy-key';
    const [p1, p2, p3] = primariesOf(ring, key, 3).map((id) => byId.get(id)!) as [NodeHandle, NodeHandle, NodeHandle];
    await p2.kill('SIGKILL');
    await p3.kill('SIGKILL');
    clients.reset(p2);
    clients.reset(p3);

    const put = await clients.of(p1).kv.put({ key: enc(key), value: enc('while-down') });
    const receipt = put.receipt!;
    expect(receipt.answered).toBeGreaterThanOrEqual(2);
    const standIns = receipt.replicas.filter((r) => r.ok && r.fallback);
    expect(standIns.length).toBeGreaterThanOrEqual(1);
    expect(standIns.every((r) => [p2.id, p3.id].includes(r.standingInFor))).toBe(true);
    const fallbackNodes = standIns.map((r) => byId.get(r.nodeId)!);
    for (const f of fallbackNodes) expect((await clients.of(f).admin.status({})).hintsPending).toBeGreaterThan(0n);

    p2.start();
    p3.start();
    await Promise.all([p2.waitReady(), p3.waitReady()]);
    const delivered = await eventually(async () => (await localValues(clients, p2, key))?.[0] === 'while-down' && (await localValues(clients, p3, key))?.[0] === 'while-down', 20_000);
    expect(delivered).toBe(true);
    const dropped = await eventually(async () => {
      for (const f of fallbackNodes) if ((await clients.of(f).admin.status({})).hintsPending !== 0n) return false;
      return true;
    });
    expect(dropped).toBe(true);
    const got = await clients.of(p2).kv.get({ key: enc(key) });
    expect(got.siblings.map((s) => dec(s.value))).toEqual(['while-down']);
  });

  it('gives UNAVAILABLE with details when W cannot be met, and keeps what the answering replica wrote', async () => {
    // A 3-node cluster where n equals the cluster size: no fallbacks exist.
    const small = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 31 });
    const local = new Clients();
    try {
      const [a, b, c] = small.nodes as [NodeHandle, NodeHandle, NodeHandle];
      await b.kill('SIGKILL');
      await c.kill('SIGKILL');
      const err = await local.of(a).kv.put({ key: enc('lonely'), value: enc('survivor'), w: 2 }).then(
        () => undefined,
        (e: unknown) => e as { code: number; findDetails: (s: typeof QuorumFailureSchema) => { asked: number; answered: number; required: number }[] },
      );
      expect(err?.code).toBe(14);
      const detail = err!.findDetails(QuorumFailureSchema)[0]!;
      expect({ asked: detail.asked, answered: detail.answered, required: detail.required }).toEqual({ asked: 3, answered: 1, required: 2 });
      expect(await localValues(local, a, 'lonely')).toEqual(['survivor']);
      b.start();
      c.start();
      await Promise.all([b.waitReady(), c.waitReady()]);
      // The write reached one replica only (R + W <= N), so it becomes visible to an r=2 read once
      // the coordinator's hints reached the returning nodes.
      const visible = await eventually(async () => {
        const got = await local.of(b).kv.get({ key: enc('lonely'), r: 2 });
        return JSON.stringify(got.siblings.map((s) => dec(s.value))) === '["survivor"]';
      });
      expect(visible).toBe(true);
      expect(await eventually(async () => (await localValues(local, c, 'lonely'))?.[0] === 'survivor')).toBe(true);
    } finally {
      local.close();
      await small.stop();
    }
  });
});

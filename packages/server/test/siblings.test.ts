// Concurrent writes become siblings; a write with a read's context resolves them on every replica.
// A replica made stale on purpose is fixed by a read (read repair).
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, dec, enc, eventually, localValues } from './support.js';

describe('siblings and read repair, 3 nodes', () => {
  let cluster: Cluster;
  const clients = new Clients();
  beforeAll(async () => {
    // Hinted handoff off: a replica that misses a write stays stale until something repairs it.
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, extraArgs: ['--hinted-handoff', 'false'] });
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  it('keeps two blind writes as siblings and replaces both with a write that carries the context', async () => {
    const [a, b, c] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await clients.of(a).kv.put({ key: enc('sib'), value: enc('from-client-1') });
    await clients.of(b).kv.put({ key: enc('sib'), value: enc('from-client-2') });
    const read = await clients.of(c).kv.get({ key: enc('sib'), r: 3 });
    expect(read.siblings.map((s) => dec(s.value)).sort()).toEqual(['from-client-1', 'from-client-2']);
    expect(read.receipt!.siblingCount).toBe(2);
    const resolved = await clients.of(c).kv.put({ key: enc('sib'), value: enc('merged'), context: read.context, w: 3 });
    expect(resolved.receipt!.siblingCount).toBe(1);
    for (const node of [a, b, c]) expect(await eventually(async () => JSON.stringify(await localValues(clients, node, 'sib')) === '["merged"]')).toBe(true);
  });

  it('repairs a stale replica on read', async () => {
    const [a, b, c] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await c.kill('SIGKILL');
    clients.reset(c);
    await clients.of(a).kv.put({ key: enc('stale'), value: enc('fresh') });
    c.start();
    await c.waitReady();
    expect(await localValues(clients, c, 'stale')).toBeUndefined();
    await eventually(async () => (await clients.of(b).kv.get({ key: enc('stale'), r: 3 })).found);
    expect(await eventually(async () => (await localValues(clients, c, 'stale'))?.[0] === 'fresh')).toBe(true);
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(Number(/quorumkv_read_repairs_total (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
  });

  it('deletes: a tombstone hides the key everywhere', async () => {
    const [a, b] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await clients.of(a).kv.put({ key: enc('gone'), value: enc('soon') });
    const read = await clients.of(b).kv.get({ key: enc('gone') });
    await clients.of(b).kv.delete({ key: enc('gone'), context: read.context });
    for (const node of cluster.nodes) expect((await clients.of(node).kv.get({ key: enc('gone') })).found).toBe(false);
  });

  it('deletes without a context: removes what the coordinator holds', async () => {
    const [a] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    await clients.of(a).kv.put({ key: enc('blind-delete'), value: enc('x') });
    await clients.of(a).kv.delete({ key: enc('blind-delete') });
    expect((await clients.of(a).kv.get({ key: enc('blind-delete'), r: 3 })).found).toBe(false);
  });
});

// Per-node limits: load shedding beyond maxInFlight (RESOURCE_EXHAUSTED instead of an unbounded
// queue), the per-key sibling cap (FAILED_PRECONDITION), and tombstones reaped after their grace.
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, enc, eventually } from './support.js';

describe('node limits', () => {
  let cluster: Cluster;
  let node: NodeHandle;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 1,
      hostBase: 45,
      extraArgs: ['--max-in-flight', '4', '--siblings-warn', '2', '--siblings-max', '3', '--tombstone-grace-ms', '200'],
    });
    node = cluster.nodes[0]!;
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  it('sheds requests beyond maxInFlight with RESOURCE_EXHAUSTED, and serves again afterwards', async () => {
    const kv = clients.of(node).kv;
    const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => kv.put({ key: enc(`shed-${i}`), value: new Uint8Array(512) })));
    const shed = results.filter((r) => r.status === 'rejected' && (r.reason as { code: number }).code === 8).length;
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(shed).toBeGreaterThan(0);
    expect(ok).toBeGreaterThan(0);
    expect(shed + ok).toBe(200);
    await kv.put({ key: enc('after-shedding'), value: enc('fine') });
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(Number(/quorumkv_requests_shed_total (\d+)/.exec(metrics)?.[1])).toBe(shed);
  });

  it('refuses a write past the sibling cap with FAILED_PRECONDITION and keeps the siblings it has', async () => {
    const kv = clients.of(node).kv;
    for (let i = 0; i < 3; i++) await kv.put({ key: enc('crowded'), value: enc(`blind-${i}`) });
    const err = await kv.put({ key: enc('crowded'), value: enc('one too many') }).then(
      () => undefined,
      (e: unknown) => e as { code: number; rawMessage: string },
    );
    expect(err?.code).toBe(9);
    expect(err?.rawMessage).toMatch(/too many siblings: the write would leave 4 \(limit 3\)/);
    const read = await kv.get({ key: enc('crowded') });
    expect(read.siblings).toHaveLength(3);
    // Writing with the read's context resolves them.
    await kv.put({ key: enc('crowded'), value: enc('resolved'), context: read.context });
    expect((await kv.get({ key: enc('crowded') })).siblings).toHaveLength(1);
  });

  it('reaps a tombstone once every replica holds it and the grace period has passed', async () => {
    const kv = clients.of(node).kv;
    await kv.put({ key: enc('to-reap'), value: enc('x') });
    await kv.delete({ key: enc('to-reap') });
    const tombstoned = await clients.of(node).admin.localGet({ key: enc('to-reap') });
    expect(tombstoned.found && tombstoned.siblings.every((s) => s.tombstone)).toBe(true);
    expect(await eventually(async () => !(await clients.of(node).admin.localGet({ key: enc('to-reap') })).found, 10_000)).toBe(true);
    expect((await kv.get({ key: enc('to-reap') })).found).toBe(false);
  });
});

// The SDK against a real 3-node cluster: routing avoids forwarding hops, a killed node is routed
// around, signals cancel requests, siblings go through `resolve`, typed errors come back.
import { startCluster, type Cluster } from '@quorumkv/harness';
import { CancelledError, createClient, InvalidArgumentError, type QuorumKvClient } from '../src/node.js';
import { clusterCounter } from './metrics.js';

const FORWARDED = 'quorumkv_forwarded_requests_total';
const SINGLE = 'single';

let cluster: Cluster;
let client: QuorumKvClient;
const extra: QuorumKvClient[] = [];

function newClient(options: Partial<Parameters<typeof createClient>[0]> = {}): QuorumKvClient {
  const c = createClient({ nodes: cluster.nodes.map((n) => n.address), timeoutMs: 2000, ...options });
  extra.push(c);
  return c;
}

async function inBatches(total: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, partitions: 64 });
  client = newClient();
  // A bucket with one replica per key: only its owner can coordinate without forwarding.
  await client.admin.createBucket({ name: SINGLE, n: 1, r: 1, w: 1 });
  // Bucket properties spread by gossip: wait until every node knows the new bucket.
  for (const node of cluster.nodes) {
    for (let i = 0; !(await client.admin.getBucket(SINGLE, { node: node.address })); i++) {
      if (i > 100) throw new Error(`${node.id} never learned bucket ${SINGLE}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await client.refreshRing();
}, 60_000);

afterAll(async () => {
  for (const c of extra) c.close();
  await cluster?.stop();
});

describe('partition-aware routing', () => {
  it('sends 1,000 requests straight to replicas: no forwarding hop', async () => {
    expect(client.ringVersion).toBeGreaterThan(0);
    const before = await clusterCounter(cluster.nodes.map((n) => n.url), FORWARDED);
    let forwardedReceipts = 0;
    await inBatches(1000, 16, async (i) => {
      const key = `route-${i % 500}`;
      const res = i < 500 ? await client.put(key, `v${i}`, { bucket: SINGLE }) : await client.get(key, { bucket: SINGLE });
      if (res.receipt.forwarded) forwardedReceipts++;
    });
    const after = await clusterCounter(cluster.nodes.map((n) => n.url), FORWARDED);
    expect(forwardedReceipts).toBe(0);
    expect(after - before).toBe(0);
    const again = await client.getString('route-7', { bucket: SINGLE });
    expect(again.values).toEqual(['v7']);
  }, 60_000);

  it('without routing the same requests are forwarded (the metric can move)', async () => {
    const unrouted = newClient({ nodes: [cluster.nodes[0]!.address], routing: false });
    const before = await clusterCounter(cluster.nodes.map((n) => n.url), FORWARDED);
    let forwarded = 0;
    for (let i = 0; i < 30; i++) {
      if ((await unrouted.get(`route-${i}`, { bucket: SINGLE })).receipt.forwarded) forwarded++;
    }
    const after = await clusterCounter(cluster.nodes.map((n) => n.url), FORWARDED);
    expect(forwarded).toBeGreaterThan(0);
    expect(after - before).toBe(forwarded);
  }, 30_000);
});

describe('calls', () => {
  it('answers found: false for a missing key', async () => {
    const res = await client.get('never-written');
    expect(res.found).toBe(false);
    expect(res.values).toEqual([]);
    expect(res.receipt.required).toBeGreaterThan(0);
  });

  it('round-trips JSON and supersedes with the context', async () => {
    const first = await client.putJson('doc', { a: 1 }, { bucket: SINGLE });
    await client.putJson('doc', { a: 2 }, { bucket: SINGLE, context: first.context });
    const res = await client.getJson<{ a: number }>('doc', { bucket: SINGLE });
    expect(res.values).toEqual([{ a: 2 }]);
  });

  it('lists keys page by page', async () => {
    for (let i = 0; i < 5; i++) await client.put(`list/${i}`, 'x', { bucket: SINGLE });
    const pages: number[] = [];
    const keys: string[] = [];
    for await (const page of client.listKeys({ bucket: SINGLE, prefix: 'list/', pageSize: 2 })) {
      pages.push(page.keys.length);
      keys.push(...page.keys.map((k) => new TextDecoder().decode(k)));
    }
    // Each page is in byte order; across pages the order follows the server's cursor.
    expect(keys.sort()).toEqual(['list/0', 'list/1', 'list/2', 'list/3', 'list/4']);
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  it('reports a rejected field as InvalidArgumentError', async () => {
    const err = await client.put('k'.repeat(5000), 'v').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe('key');
  });
});

describe('siblings', () => {
  it('merges concurrent writes with resolve and writes the merge back', async () => {
    await client.put('cart', 'apple', { bucket: SINGLE });
    await client.put('cart', 'pear', { bucket: SINGLE });
    const raw = await client.getString('cart', { bucket: SINGLE, resolve: null });
    expect(raw.values.sort()).toEqual(['apple', 'pear']);

    const merged = await client.getString('cart', {
      bucket: SINGLE,
      resolve: (values) => [...new Set(values.flatMap((v) => v.split(',')))].sort().join(','),
    });
    expect(merged.resolved).toBe(true);
    expect(merged.values).toEqual(['apple,pear']);

    const after = await client.getString('cart', { bucket: SINGLE, resolve: null });
    expect(after.values).toEqual(['apple,pear']);
    expect(after.siblings).toHaveLength(1);
  });

  it('uses the client-wide resolver', async () => {
    const lww = newClient({ resolve: (sibs) => [...sibs].sort((a, b) => b.timestampMs - a.timestampMs)[0]!.value });
    await lww.put('pick', 'one', { bucket: SINGLE });
    await lww.put('pick', 'two', { bucket: SINGLE });
    const res = await lww.get('pick', { bucket: SINGLE });
    expect(res.resolved).toBe(true);
    expect(res.values).toHaveLength(1);
  });
});

describe('cancellation', () => {
  it('an aborted signal cancels an in-flight request', async () => {
    const node = cluster.nodes[2]!;
    const pinned = newClient({ nodes: [node.address], routing: false, timeoutMs: 10_000 });
    await pinned.get('warm-up');
    await node.kill('SIGSTOP');
    try {
      const ctl = new AbortController();
      const started = Date.now();
      const pending = pinned.get('anything', { signal: ctl.signal });
      setTimeout(() => ctl.abort(), 100);
      await expect(pending).rejects.toBeInstanceOf(CancelledError);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await node.kill('SIGCONT');
    }
  });

  it('an already aborted signal rejects without a request', async () => {
    await expect(client.get('x', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('failover', () => {
  it('routes around a SIGKILLed node within one request timeout', async () => {
    const timeoutMs = 2000;
    const victim = cluster.nodes[0]!;
    // A fresh client whose only open connection is to the victim (the ring came from it) and
    // that has no latency data yet, so it tries a key's first replica, the victim, first.
    const fresh = newClient({ nodes: cluster.nodes.map((n) => n.address), timeoutMs });
    await fresh.refreshRing();
    let key = '';
    for (let i = 0; !key; i++) if (fresh.replicasOf(`fo-${i}`)[0] === victim.address) key = `fo-${i}`;
    await client.put(key, 'before');

    await victim.kill('SIGKILL');
    const started = Date.now();
    const res = await fresh.get(key, { timeoutMs });
    expect(Date.now() - started).toBeLessThan(timeoutMs);
    expect(res.receipt.node).not.toBe(victim.address);
    expect(res.values.map((v) => new TextDecoder().decode(v))).toEqual(['before']);
    expect(fresh.nodeStatus().find((s) => s.node === victim.address)?.up).toBe(false);

    // Everything else keeps working without the victim, each call within the timeout.
    let slowest = 0;
    for (let i = 0; i < 60; i++) {
      const t = Date.now();
      if (i % 2 === 0) await fresh.put(`after-${i}`, 'v', { timeoutMs });
      else expect((await fresh.get(`after-${i - 1}`, { timeoutMs })).found).toBe(true);
      slowest = Math.max(slowest, Date.now() - t);
    }
    expect(slowest).toBeLessThan(timeoutMs);
  }, 30_000);
});

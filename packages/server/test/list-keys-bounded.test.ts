// ListKeys does work proportional to what it returns (issue #15): paging through 100k keys with
// limit 10,000 keeps the node responsive, every key comes back exactly once, and a page larger than
// the node's maximum is refused naming `limit`. Responsive: /healthz, probed every 10 ms from
// another process, answers within 50 ms of what it takes while the node is idle, measured the same
// way just before. On a quiet machine idle is ~1 ms, so that is "under 50 ms throughout"; on a
// shared, saturated one idle itself can take 100 ms or more (the process is not scheduled), which
// is not the node's doing. The old lister stalled /healthz for 2.6 s here.
import { Code, ConnectError } from '@connectrpc/connect';
import { Clients, dec, enc, favour, loadKeys, probeHealthz, sleep } from './support.js';
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';

const KEYS = 100_000;
const PAGE = 10_000;

describe('ListKeys at scale', () => {
  let cluster: Cluster;
  let node: NodeHandle;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1, n: 1, r: 1, w: 1, hostBase: 121, extraArgs: ['--durability', 'nosync'] });
    node = cluster.nodes[0]!;
    favour(node.pid);
    const loading = Date.now();
    await loadKeys(clients, node, { count: KEYS, prefix: 'key-', valueBytes: 100 });
    process.stdout.write(`loaded ${KEYS} keys in ${Date.now() - loading} ms\n`);
  }, 120_000);
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  it('pages through 100k keys with limit 10,000 while /healthz stays under 50 ms', async () => {
    const kv = clients.of(node).kv;
    const idleProbe = await probeHealthz(node, 10);
    await sleep(2_000);
    const idle = await idleProbe.stop();
    const probe = await probeHealthz(node, 10);
    const seen = new Set<string>();
    const pageMs: number[] = [];
    let cursor: Uint8Array = new Uint8Array(0);
    let pages = 0;
    const giveUpAt = Date.now() + 60_000;
    try {
      do {
        const started = performance.now();
        const page = await kv.listKeys({ limit: PAGE, cursor }, { timeoutMs: 60_000 });
        pageMs.push(Math.round(performance.now() - started));
        for (const k of page.keys) seen.add(dec(k));
        expect(page.keys.length).toBeLessThanOrEqual(PAGE);
        cursor = page.nextCursor;
        pages++;
      } while (cursor.length > 0 && pages < 20 && Date.now() < giveUpAt);
    } finally {
      const health = await probe.stop();
      process.stdout.write(
        `ListKeys: ${pages} pages in ${pageMs.join('/')} ms; /healthz ${health.probes} probes, max ${health.maxMs.toFixed(1)} ms, p99 ${health.p99Ms.toFixed(1)} ms` +
          ` (idle: ${idle.probes} probes, max ${idle.maxMs.toFixed(1)} ms, p99 ${idle.p99Ms.toFixed(1)} ms)\n`,
      );
      expect(health.failures).toBe(0);
      // Within 50 ms of the idle node's worst, allowing two probes that a busy shared machine
      // delayed (a page that held the event loop, as before: 2,648 ms, every page): and none
      // ever held for half a second.
      const slow = health.sortedMs.filter((ms) => ms >= idle.maxMs + 50);
      expect(slow.length).toBeLessThanOrEqual(2);
      expect(health.maxMs).toBeLessThan(500);
    }
    expect(cursor.length).toBe(0);
    expect(seen.size).toBe(KEYS);
    expect(pages).toBeLessThanOrEqual(KEYS / PAGE + 1);
  }, 120_000);

  it('refuses a page larger than the maximum, naming limit', async () => {
    const err = await clients.of(node).kv.listKeys({ limit: PAGE + 1 }).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.rawMessage).toMatch(/limit: must be at most 10000 \(got 10001\)/);
  });

  it('leaves deleted keys out and lists a prefix', async () => {
    const kv = clients.of(node).kv;
    await kv.put({ key: enc('gone-1'), value: enc('x') });
    await kv.delete({ key: enc('gone-1') });
    const page = await kv.listKeys({ prefix: enc('key-9999'), limit: 100 });
    expect(page.keys.map(dec).sort()).toEqual(['key-9999', ...Array.from({ length: 10 }, (_, i) => `key-9999${i}`)].sort());
    expect((await kv.listKeys({ prefix: enc('gone-'), limit: 100 })).keys).toEqual([]);
  });
});

// Issue #16, observation 5: the SDK fails over from a paused node. Three nodes, n=3 r=2 w=2; one
// replica is paused with SIGSTOP (its connections stay open and silent, the hardest case: nothing
// is refused, nothing resets). A wrapped transport records every data request the SDK sends.
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { addressOf, createClient, nodeTransport, type QuorumKvClient, type TransportFactory } from '../src/node.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// The hedged read's own coordinator first asks the paused replica too (it is first in every
// preference list of the key) and moves on after its 50 ms speculative retry, so the second attempt
// needs ~50 ms plus a few hops; 150 ms leaves room for a loaded machine (the default floor is 100).
const HEDGE_AFTER_MS = 150;

/** The Node transport, recording the node of every get/put/delete it sends. */
function recording(sent: string[]): TransportFactory {
  const base = nodeTransport();
  return (baseUrl) => {
    const connection = base(baseUrl);
    const node = addressOf(baseUrl);
    const dataOps = connection.dataOps;
    if (!dataOps) return connection;
    return {
      ...connection,
      dataOps: () => {
        const ops = dataOps();
        return {
          get: (req, options) => (sent.push(node), ops.get(req, options)),
          put: (req, options) => (sent.push(node), ops.put(req, options)),
          delete: (req, options) => (sent.push(node), ops.delete(req, options)),
          close: () => ops.close(),
        };
      },
    };
  };
}

describe('the SDK fails over from a paused node', () => {
  let cluster: Cluster;
  const opened: QuorumKvClient[] = [];
  const open = (nodes: NodeHandle[], sent: string[] = []): QuorumKvClient => {
    const c = createClient({ nodes: nodes.map((n) => n.address), transport: recording(sent), timeoutMs: 5000, hedge: { minDelayMs: HEDGE_AFTER_MS } });
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 161 });
    const writer = open(cluster.nodes);
    for (let i = 0; i < 20; i++) await writer.putString(`fo-${i}`, `v-${i}`);
  }, 60_000);

  afterAll(async () => {
    for (const n of cluster?.nodes ?? []) n.resume();
    for (const c of opened) c.close();
    await cluster?.stop();
  });

  it('reads from another replica within twice the hedge delay, and sends nothing more to the paused node until it answers a probe', async () => {
    const sent: string[] = [];
    // A fresh client has measured no node yet, so it sends a key's read to the first replica of its preference list.
    const byAddress = new Map(cluster.nodes.map((n) => [n.address, n]));
    const probe = open(cluster.nodes);
    await probe.refreshRing();
    const [first] = probe.replicasOf('fo-0');
    const paused = byAddress.get(first!)!;
    const others = cluster.nodes.filter((n) => n !== paused);
    const kv = open([...others, paused], sent);
    await kv.refreshRing();

    paused.pause();
    try {
      const started = performance.now();
      const got = await kv.getString('fo-0');
      const tookMs = performance.now() - started;
      process.stdout.write(`get with a replica paused: ${tookMs.toFixed(0)} ms (hedge after ${HEDGE_AFTER_MS} ms), answered by ${got.receipt.node}\n`);
      expect(got.values).toEqual(['v-0']);
      expect(got.receipt.node).not.toBe(paused.address);
      expect(tookMs).toBeLessThan(2 * HEDGE_AFTER_MS);
      expect(sent[0]).toBe(paused.address);

      // More reads over 3 s (longer than the SDK's attempt timeout for the first read): none is sent to the paused node.
      const before = sent.length;
      for (let i = 0; i < 30; i++) {
        const r = await kv.getString(`fo-${i % 20}`);
        expect(r.values).toEqual([`v-${i % 20}`]);
        await sleep(100);
      }
      const toPaused = sent.slice(before).filter((n) => n === paused.address).length;
      process.stdout.write(`requests sent to the paused node by the next 30 reads: ${toPaused}; SDK sees it up: ${kv.nodeStatus().find((s) => s.node === paused.address)?.up}\n`);
      expect(toPaused).toBe(0);
      expect(kv.nodeStatus().find((s) => s.node === paused.address)?.up).toBe(false);
    } finally {
      paused.resume();
    }
    // Once it answers the background probe it is routed to again.
    const upAgain = Date.now();
    while (Date.now() - upAgain < 10_000 && !kv.nodeStatus().find((s) => s.node === paused.address)?.up) await sleep(50);
    process.stdout.write(`paused node back in routing ${Date.now() - upAgain} ms after SIGCONT\n`);
    expect(kv.nodeStatus().find((s) => s.node === paused.address)?.up).toBe(true);
  });

  it('fetches the ring elsewhere quickly when the first node is paused, and routes nothing to that node', async () => {
    const [paused, ...others] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    const sent: string[] = [];
    const kv = open([paused, ...others], sent);
    paused.pause();
    try {
      const started = performance.now();
      await kv.refreshRing();
      const tookMs = performance.now() - started;
      process.stdout.write(`ring fetch with the first node paused: ${tookMs.toFixed(0)} ms, ring version ${kv.ringVersion}\n`);
      expect(kv.ringVersion).toBeGreaterThan(0);
      expect(tookMs).toBeLessThan(1000);
      for (let i = 0; i < 10; i++) expect((await kv.getString(`fo-${i}`)).values).toEqual([`v-${i}`]);
      expect(sent.filter((n) => n === paused.address)).toEqual([]);
    } finally {
      paused.resume();
    }
  });
});

// Issue #18 (convergence after heal): a replica a coordinated write was sent to, and that had not
// answered when the request's deadline ended the wait, must get a hint, whether or not the write
// met W. Before, only replicas that failed or timed out *before* the deadline did: a replica (or a
// fallback standing in for it) still silent at the deadline left its primary without the write
// for good, until a read at R = N repaired it. Four proxied nodes; the coordinator's link to a
// replica (and to the first fallback) drops bytes, as behind a dead link, while gossip still sees
// every node alive (indirect probes through the others), or a replica and its stand-in are paused
// (SIGSTOP) and drop the items, then past their deadline, when they resume. Nothing reads the
// keys, so only hints can bring the writes to the replica afterwards.
import { preferenceList } from '@quorumkv/ring';
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, enc, fetchRing, localValues, sleep, waitAllUp } from './support.js';

describe('a replica still silent at the deadline gets a hint', () => {
  const clients = new Clients();
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 4,
      n: 3,
      hostBase: 186,
      proxied: true,
      // Slow failure detection keeps the cut-off replica "alive"; replicas silent for 300 ms are
      // replaced by a fallback; hints are offered every 100 ms.
      extraArgs: ['--gossip-interval-ms', '4000', '--replica-timeout-ms', '300', '--hint-delivery-interval-ms', '100'],
    });
    await waitAllUp(clients, cluster.nodes);
  });

  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  const indexOf = (node: NodeHandle): number => cluster.nodes.indexOf(node);

  /** A key whose primaries are n1 (the coordinator) and two others, and its first fallback: [coordinator, other primary, silent primary, fallback]. */
  async function roles(prefix: string): Promise<{ key: string; coordinator: NodeHandle; silent: NodeHandle; fallback: NodeHandle }> {
    const ring = await fetchRing(clients, cluster.nodes[0]!);
    const byId = new Map(cluster.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < 1000; i++) {
      const key = `${prefix}-${i}`;
      const list = preferenceList(ring, 'default', key, 3);
      if (!list.primaries.includes('n1')) continue;
      const others = list.primaries.filter((p) => p !== 'n1');
      return { key, coordinator: byId.get('n1')!, silent: byId.get(others[1]!)!, fallback: byId.get(list.fallbacks[0]!)! };
    }
    throw new Error('no key with n1 among its primaries');
  }

  /** Polls `node`'s own copy of `key` until it holds `value`, for at most `ms`; the time it took, or undefined. */
  async function arrives(node: NodeHandle, key: string, value: string, ms: number): Promise<number | undefined> {
    const started = Date.now();
    while (Date.now() - started < ms) {
      if ((await localValues(clients, node, key).catch(() => undefined))?.includes(value)) return Date.now() - started;
      await sleep(100);
    }
    return undefined;
  }

  /** Applies `fault`, runs `write` and waits `holdMs`, lifts the fault; then `value` must reach `silent` within 8 s. */
  async function reachesAfter(o: { fault: () => void; lift: () => void; write: () => Promise<void>; holdMs: number; silent: NodeHandle; key: string; value: string; what: string }): Promise<void> {
    o.fault();
    try {
      await o.write();
      await sleep(o.holdMs);
    } finally {
      o.lift();
    }
    const tookMs = await arrives(o.silent, o.key, o.value, 8_000);
    process.stdout.write(`${o.what} reached ${o.silent.id} ${tookMs ?? 'never (8 s)'} ms after the fault was lifted\n`);
    expect(tookMs).toBeDefined();
  }

  it('an acknowledged write whose deadline came before any replica timeout', async () => {
    const { key, coordinator, silent } = await roles('ack');
    await reachesAfter({
      fault: () => cluster.setLinkFault(indexOf(coordinator), indexOf(silent), { block: 'drop' }),
      lift: () => cluster.clearLinkFaults(),
      // 250 ms is shorter than the replica timeout: no stand-in is tried, the deadline ends the wait.
      write: async () => expect((await clients.of(coordinator).kv.put({ key: enc(key), value: enc('v1'), w: 2, timeoutMs: 250 })).receipt?.answered).toBe(2),
      holdMs: 500,
      silent,
      key,
      value: 'v1',
      what: 'acknowledged write',
    });
  });

  it('a write that missed W while the stand-in for a replica was silent too', async () => {
    const { key, coordinator, silent, fallback } = await roles('failed');
    await reachesAfter({
      fault: () => {
        cluster.setLinkFault(indexOf(coordinator), indexOf(silent), { block: 'drop' });
        cluster.setLinkFault(indexOf(coordinator), indexOf(fallback), { block: 'drop' });
      },
      lift: () => cluster.clearLinkFaults(),
      // w = 3: the write fails (2 of 3), yet n1 and the other primary keep it, so the third must too.
      write: () => expect(clients.of(coordinator).kv.put({ key: enc(key), value: enc('v2'), w: 3, timeoutMs: 1_200 })).rejects.toThrow(/answered 2, required 3/),
      holdMs: 500,
      silent,
      key,
      value: 'v2',
      what: 'failed write',
    });
  });

  it('an acknowledged write while a replica and its stand-in were paused (SIGSTOP)', async () => {
    const { key, coordinator, silent, fallback } = await roles('paused');
    await reachesAfter({
      fault: () => [silent, fallback].forEach((n) => n.pause()),
      lift: () => [silent, fallback].forEach((n) => n.resume()),
      write: async () => expect((await clients.of(coordinator).kv.put({ key: enc(key), value: enc('v3'), w: 2, timeoutMs: 1_200 })).receipt?.answered).toBe(2),
      // Answered at once (W = 2 without them); they stay paused until the items' deadline has passed.
      holdMs: 1_700,
      silent,
      key,
      value: 'v3',
      what: 'acknowledged write, replica paused,',
    });
  });
});

// Adversarial: reaping under churn. 60 keys are written and deleted; while their tombstones fall
// due, half of them get new blind writes through random nodes, reads repair copies, and one node
// is killed with -9 and restarted. Afterwards every acknowledged new write is readable, no deleted
// value comes back, and the tombstones of the untouched keys are reaped everywhere.
import { enc, eventually, localRecord, readValues, sleep, waitAllUp, useCluster } from './support.js';

describe('reaping under churn', () => {
  const { clients, nodes: clusterNodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 230, extraArgs: ['--tombstone-grace-ms', '300', '--hint-delivery-interval-ms', '200'] });

  it('loses no acknowledged write and revives no deleted value', async () => {
    const nodes = clusterNodes();
    const keys = Array.from({ length: 60 }, (_, i) => `churn-${i}`);
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (const k of keys) {
      const put = await clients.of(nodes[rnd(3)]!).kv.put({ key: enc(k), value: enc('old'), w: 3 });
      await clients.of(nodes[rnd(3)]!).kv.delete({ key: enc(k), context: put.context, w: 2 });
    }
    const acked = new Set<string>();
    const victim = nodes[2]!;
    const churn = (async () => {
      await sleep(600);
      await victim.kill('SIGKILL');
      clients.reset(victim);
      await sleep(800);
      victim.start();
      await victim.waitReady();
    })();
    const until = Date.now() + 3_000;
    const writers = [0, 1, 2].map(async (w) => {
      while (Date.now() < until) {
        const k = keys[rnd(30)]!;
        const node = nodes[(w + rnd(3)) % 3]!;
        try {
          if (rnd(2) === 0) {
            await clients.of(node).kv.put({ key: enc(k), value: enc(`new-${k}`), w: 2, timeoutMs: 1_000 });
            acked.add(k);
          } else {
            await clients.of(node).kv.get({ key: enc(keys[rnd(60)]!), r: 2, timeoutMs: 1_000 });
          }
        } catch {
          // a node down or restarting: not acknowledged
        }
        await sleep(rnd(40));
      }
    });
    await Promise.all([churn, ...writers]);
    await waitAllUp(clients, nodes);
    await sleep(1_500);
    expect(acked.size).toBeGreaterThan(5);
    for (const k of keys) {
      const got = await readValues(clients, nodes[0]!, k, 3);
      expect(got).not.toContain('old');
      // Blind writes of a key add siblings, so the same value may appear more than once.
      if (acked.has(k)) expect([...new Set(got)]).toEqual([`new-${k}`]);
    }
    // Untouched deleted keys (never written again) are reaped on every node.
    const untouched = keys.slice(30);
    const reaped = await eventually(async () => {
      for (const node of nodes) for (const k of untouched) if ((await localRecord(clients, node, k)) !== undefined) return false;
      return true;
    }, 20_000, 500);
    expect(reaped).toBe(true);
    for (const k of keys) expect(await readValues(clients, nodes[1]!, k, 3)).not.toContain('old');
  });
});

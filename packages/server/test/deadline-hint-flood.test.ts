// Adversarial: a client that sends puts with deadlines of a few milliseconds. Every such write ends
// at its deadline while its replicas are still answering, and a hint for each silent replica used
// to be stored then (issue #18's convergence rule), although they all got the write a moment later.
// With the hint store at its cap those hints evict the oldest: hints for a node that is down, which
// may be an acknowledged write's only way to it. Four nodes, n = 3, w = 2, a cap of 60 hints per node; n4
// is paused while 60 writes it is a primary of are acknowledged (their hints wait for it); then a
// flood of 1-3 ms puts on keys n4 does not hold; then n4 resumes. Does every write reach n4?
import { preferenceList } from '@quorumkv/ring';
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, fetchRing, localValues, useCluster, waitAllUp } from './support.js';

const HOST = '127.0.0.16';
const CAP = 60;
const FLAGS = ['--gossip-interval-ms', '200', '--log-level', 'warn', '--max-hints', String(CAP), '--hint-window-ms', '600000'];

async function counter(node: NodeHandle, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  // Summed over its labels (evictions are counted by the limit that made room).
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('a flood of writes with tiny deadlines', () => {
  const { clients, nodes } = useCluster({ nodes: 4, hosts: Array<string>(4).fill(HOST), n: 3, r: 2, w: 2, extraArgs: FLAGS });

  it('does not evict the hints an acknowledged write needs to reach a node that was down', async () => {
    const all = nodes();
    const byId = new Map(all.map((n) => [n.id, n]));
    const n4 = byId.get('n4')!;
    await waitAllUp(clients, all);
    const ring = await fetchRing(clients, all[0]!);
    const primaries = (key: string): string[] => [...preferenceList(ring, 'default', key, 3).primaries];
    const candidates = Array.from({ length: 4000 }, (_, i) => `k${i}`);
    const needed = candidates.filter((k) => primaries(k).includes('n4')).slice(0, 60);
    const flood = candidates.filter((k) => !primaries(k).includes('n4'));

    n4.pause();
    try {
      // Acknowledged; n4's copy is a hint (on the coordinator, or on the fallback that stood in).
      expect(await eventually(async () => (await clients.of(all[0]!).admin.verify({})).problems.some((p) => p.down.includes('n4')), 15_000)).toBe(true);
      for (const key of needed) {
        const coordinator = byId.get(primaries(key).find((id) => id !== 'n4')!)!;
        expect((await clients.of(coordinator).kv.put({ key: enc(key), value: enc('needed'), w: 2, timeoutMs: 5_000 })).receipt?.answered).toBeGreaterThanOrEqual(2);
      }
      const evictedBefore = (await Promise.all(all.slice(0, 3).map((n) => counter(n, 'quorumkv_hints_evicted_total')))).reduce((a, b) => a + b, 0);
      let acked = 0;
      let failed = 0;
      const until = Date.now() + Number(process.env.FLOOD_MS ?? '4000');
      await Promise.all(
        Array.from({ length: 16 }, (_, w) => w).map(async (w) => {
          for (let i = w; Date.now() < until && i < 1_000_000; i += 16) {
            const key = flood[i % flood.length]!;
            const coordinator = byId.get(primaries(key)[0]!)!;
            try {
              await clients.of(coordinator).kv.put({ key: enc(key), value: enc(`f${i}`), w: 2, timeoutMs: 3 + (i % 6) });
              acked++;
            } catch {
              failed++;
            }
          }
        }),
      );
      const evicted = (await Promise.all(all.slice(0, 3).map((n) => counter(n, 'quorumkv_hints_evicted_total')))).reduce((a, b) => a + b, 0) - evictedBefore;
      const stored = (await Promise.all(all.slice(0, 3).map((n) => counter(n, 'quorumkv_hints_stored_total')))).reduce((a, b) => a + b, 0);
      console.log(`flood: ${acked} acknowledged, ${failed} failed in 4 s; hints stored in all ${stored}, evicted during the flood ${evicted}`);
    } finally {
      n4.resume();
    }
    // n4 is back: its hints are delivered within a few delivery rounds.
    const missing: string[] = [];
    await eventually(async () => {
      missing.length = 0;
      for (const key of needed) if ((await localValues(clients, n4, key).catch(() => undefined)) === undefined) missing.push(key);
      return missing.length === 0;
    }, 15_000, 500);
    const totals = async (name: string): Promise<string> => (await Promise.all(all.map((n) => counter(n, name)))).join('/');
    console.log(`per node n1..n4: evicted ${await totals('quorumkv_hints_evicted_total')}, stored ${await totals('quorumkv_hints_stored_total')}, delivered ${await totals('quorumkv_hints_delivered_total')}, refused ${await totals('quorumkv_hints_refused_total')}, dropped ${await totals('quorumkv_hints_dropped_total')}, expired ${await totals('quorumkv_hints_expired_total')}, pending ${await totals('quorumkv_hints_pending')}`);
    console.log(`acknowledged writes n4 is a primary of: ${needed.length}; missing on n4 after it resumed: ${missing.length}`);
    expect(missing).toEqual([]);
  }, 120_000);
});

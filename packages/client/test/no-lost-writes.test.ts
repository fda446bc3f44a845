// Batching must not lose acknowledged writes: under load through the SDK's Session streams (and the
// nodes' batched replica streams), a replica is killed with SIGKILL mid-flight, and afterwards every
// write the cluster acknowledged is read back with its value.
import { createClient } from '@quorumkv/client/node';
import { startCluster, type Cluster } from '../../../tools/cluster-harness/cluster.js';

describe('no acknowledged write is lost by batching', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 81 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps every acknowledged key when a replica dies under load', async () => {
    const [a, b, victim] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    // Clients talk to the two survivors, so the victim is only ever a replica on their streams.
    const kv = createClient({ nodes: [a.address, b.address], routing: false, timeoutMs: 5_000 });
    const acknowledged = new Map<string, string>();
    let failed = 0;
    const callers = 32;
    const perCaller = 60;
    let issued = 0;
    let killed = false;
    try {
      await Promise.all(
        Array.from({ length: callers }, async (_, c) => {
          for (let i = 0; i < perCaller; i++) {
            const key = `ack-${c}-${i}`;
            const value = `v-${c}-${i}`;
            if (++issued === (callers * perCaller) / 3 && !killed) {
              killed = true;
              void victim.kill('SIGKILL');
            }
            try {
              await kv.putString(key, value);
              acknowledged.set(key, value);
            } catch {
              failed++;
            }
          }
        }),
      );
      expect(killed).toBe(true);
      expect(acknowledged.size).toBeGreaterThan(callers * perCaller * 0.9);
      victim.start();
      await victim.waitReady();
      const reader = createClient({ nodes: cluster.nodes.map((n) => n.address) });
      try {
        const missing: string[] = [];
        const entries = [...acknowledged];
        for (let i = 0; i < entries.length; i += 64) {
          await Promise.all(
            entries.slice(i, i + 64).map(async ([key, value]) => {
              const got = await reader.getString(key, { r: 2 });
              if (!got.values.includes(value)) missing.push(key);
            }),
          );
        }
        process.stdout.write(`${acknowledged.size} acknowledged, ${failed} failed, ${missing.length} missing after SIGKILL of a replica under load\n`);
        expect(missing).toEqual([]);
      } finally {
        reader.close();
      }
    } finally {
      kv.close();
    }
  });
});

// Batching must not lose acknowledged writes: under load through the SDK's Session streams (and the
// nodes' batched replica streams), a replica is killed with SIGKILL mid-flight, and afterwards every
// write the cluster acknowledged is read back with its value.
import { createClient } from '@quorumkv/client/node';
import { startCluster, type Cluster } from '@quorumkv/harness';

/** Writes `callers × perCaller` keys through `kv`, calling `fault` once a third have been issued. */
async function loadWith(kv: ReturnType<typeof createClient>, fault: () => void, callers = 32, perCaller = 60) {
  const acknowledged = new Map<string, string>();
  let failed = 0;
  let issued = 0;
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      for (let i = 0; i < perCaller; i++) {
        const key = `ack-${c}-${i}`;
        const value = `v-${c}-${i}`;
        if (++issued === Math.floor((callers * perCaller) / 3)) fault();
        try {
          await kv.putString(key, value);
          acknowledged.set(key, value);
        } catch {
          failed++;
        }
      }
    }),
  );
  return { acknowledged, failed };
}

/** Keys whose acknowledged value a read (r=2) through every node does not return. */
async function missingKeys(nodes: string[], acknowledged: Map<string, string>): Promise<string[]> {
  const reader = createClient({ nodes });
  const missing: string[] = [];
  try {
    const entries = [...acknowledged];
    for (let i = 0; i < entries.length; i += 64) {
      await Promise.all(
        entries.slice(i, i + 64).map(async ([key, value]) => {
          const got = await reader.getString(key, { r: 2 });
          if (!got.values.includes(value)) missing.push(key);
        }),
      );
    }
  } finally {
    reader.close();
  }
  return missing;
}

describe('no acknowledged write is lost when replica streams break', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 84, proxied: true });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('keeps every acknowledged key when a replica\'s connections are cut mid-flight, repeatedly', async () => {
    const [a, b] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
    const victimProxy = cluster.proxies[2]!;
    const kv = createClient({ nodes: [a.address, b.address], routing: false, timeoutMs: 5_000 });
    const timers: ReturnType<typeof setTimeout>[] = [];
    try {
      const { acknowledged, failed } = await loadWith(kv, () => {
        for (let i = 0; i < 6; i++) timers.push(setTimeout(() => victimProxy.cutAll(), i * 120));
      });
      await new Promise((r) => setTimeout(r, 800));
      expect(victimProxy.cuts).toBeGreaterThan(0);
      const missing = await missingKeys(cluster.nodes.map((n) => n.address), acknowledged);
      process.stdout.write(`${acknowledged.size} acknowledged, ${failed} failed, ${victimProxy.cuts} connections cut, ${missing.length} missing\n`);
      expect(missing).toEqual([]);
    } finally {
      for (const t of timers) clearTimeout(t);
      kv.close();
    }
  });
});

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
    try {
      let killed = false;
      const { acknowledged, failed } = await loadWith(kv, () => {
        killed = true;
        void victim.kill('SIGKILL');
      });
      expect(killed).toBe(true);
      expect(acknowledged.size).toBeGreaterThan(32 * 60 * 0.9);
      victim.start();
      await victim.waitReady();
      const missing = await missingKeys(cluster.nodes.map((n) => n.address), acknowledged);
      process.stdout.write(`${acknowledged.size} acknowledged, ${failed} failed, ${missing.length} missing after SIGKILL of a replica under load\n`);
      expect(missing).toEqual([]);
    } finally {
      kv.close();
    }
  });
});

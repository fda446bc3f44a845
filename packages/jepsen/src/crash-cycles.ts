// Crash cycles: writers keep writing fresh keys while, cycle after cycle, a random node is killed
// with SIGKILL and restarted on its data dir. After each cycle the writes acknowledged during it
// are read back at the read quorum, with a seeded sample of the older ones; after the last cycle,
// every acknowledged write is.
import { createClient, type QuorumKvClient } from '@quorumkv/client/node';
import { SeededRandom, startCluster } from '@quorumkv/harness';

/** Options of {@link runCrashCycles}. */
export interface CrashCycleOptions {
  readonly seed: number;
  readonly cycles: number;
  readonly nodes: number;
  /** Concurrent writers. Default 4. */
  readonly writers?: number;
  /** Pause of each writer between writes, ms. Default 25: a steady load, not a flood to re-read. */
  readonly thinkMs?: number;
  /** Older acknowledged writes re-read after each cycle (besides the cycle's own). Default 200. */
  readonly sampleOld?: number;
  /** Node i on 127.0.0.(hostBase + i). Default 76. */
  readonly hostBase?: number;
  readonly log?: (line: string) => void;
}

/** The counts of a crash-cycle run. */
export interface CrashCycleResult {
  readonly seed: number;
  readonly cycles: number;
  readonly nodes: number;
  readonly kills: number;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly unknown: number;
  /** Reads made to check acknowledged writes (per cycle and at the end). */
  readonly checks: number;
  /** Acknowledged writes missing from a quorum read, with the cycle that found them. */
  readonly lost: readonly { readonly key: string; readonly cycle: number }[];
  readonly finalCheckAll: number;
  readonly seconds: number;
  readonly valid: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runCrashCycles(o: CrashCycleOptions): Promise<CrashCycleResult> {
  const log = o.log ?? (() => {});
  const random = new SeededRandom(o.seed);
  const schedule = random.fork();
  const sampler = random.fork();
  const started = performance.now();
  const cluster = await startCluster({ nodes: o.nodes, n: Math.min(3, o.nodes), partitions: 64, hostBase: o.hostBase ?? 76, extraArgs: ['--hint-delivery-interval-ms', '250'], exitOnSignal: true });
  const clients: QuorumKvClient[] = [];
  const newClient = (): QuorumKvClient => {
    const c = createClient({ nodes: cluster.addresses, timeoutMs: 3_000 });
    clients.push(c);
    return c;
  };
  const acked: string[] = [];
  let [attempted, unknown, checks] = [0, 0, 0];
  const lost: { key: string; cycle: number }[] = [];
  let writing = true;
  try {
    const writers = Array.from({ length: o.writers ?? 4 }, async (_, w) => {
      const client = newClient();
      for (let seq = 0; writing; seq++) {
        const key = `cc-${w}-${seq}`;
        attempted++;
        try {
          await client.put(key, key);
          acked.push(key);
        } catch {
          unknown++;
        }
        await sleep(o.thinkMs ?? 25);
      }
    });
    const reader = newClient();
    const verify = async (keys: readonly string[], cycle: number): Promise<void> => {
      for (let i = 0; i < keys.length; i += 32) {
        await Promise.all(
          keys.slice(i, i + 32).map(async (key) => {
            checks++;
            const found = await readWithRetry(reader, key);
            if (!found && !lost.some((l) => l.key === key)) lost.push({ key, cycle });
          }),
        );
      }
    };
    let checkedUpTo = 0;
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      const node = cluster.nodes[schedule.int(0, o.nodes - 1)]!;
      await sleep(schedule.int(200, 1_000));
      await node.kill('SIGKILL');
      await sleep(schedule.int(100, 1_500));
      node.start();
      await node.waitReady(60_000);
      const fresh = acked.slice(checkedUpTo);
      checkedUpTo += fresh.length;
      const older = acked.slice(0, checkedUpTo - fresh.length);
      const sample = Array.from({ length: Math.min(o.sampleOld ?? 200, older.length) }, () => older[sampler.int(0, older.length - 1)]!);
      await verify([...fresh, ...sample], cycle);
      log(`cycle ${cycle}: killed ${node.id}; acknowledged ${acked.length}, checked ${fresh.length} new + ${sample.length} older, lost so far ${lost.length}`);
    }
    writing = false;
    await Promise.all(writers);
    const all = [...acked];
    await verify(all, o.cycles + 1);
    return {
      seed: o.seed,
      cycles: o.cycles,
      nodes: o.nodes,
      kills: o.cycles,
      attempted,
      acknowledged: acked.length,
      unknown,
      checks,
      lost,
      finalCheckAll: all.length,
      seconds: (performance.now() - started) / 1000,
      valid: lost.length === 0,
    };
  } finally {
    writing = false;
    for (const c of clients) c.close();
    await cluster.stop();
  }
}

/** Found at the read quorum; a read that errors (a node still starting) is retried, bounded. */
async function readWithRetry(client: QuorumKvClient, key: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await client.get(key)).found;
    } catch (err) {
      if (attempt >= 10) throw err;
      await sleep(300);
    }
  }
}

// Issue #16, observation 4: a request a node forwards carries its deadline and is cancelled with its
// caller. Two nodes with n=1; the SDK is pinned to the node that is NOT the key's replica, so every
// write takes the forwarding hop; the replica is paused (SIGSTOP) while the writes are in flight.
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { CancelledError, createClient, TimeoutError, type QuorumKvClient } from '../src/node.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 25 ms for at most `ms`; returns whether it became true. */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() >= until) return false;
    await sleep(25);
  }
}

describe('deadlines travel with forwarded requests', () => {
  let cluster: Cluster;
  let a: NodeHandle;
  let b: NodeHandle;
  let admin: QuorumKvClient;
  const opened: QuorumKvClient[] = [];
  const keysOnB: string[] = [];

  const client = (options: Partial<Parameters<typeof createClient>[0]>): QuorumKvClient => {
    const c = createClient({ nodes: [a.address], routing: false, retry: { maxAttempts: 1 }, ...options });
    opened.push(c);
    return c;
  };
  const inFlightOnA = async (): Promise<number> => (await admin.admin.status({ node: a.address, timeoutMs: 500 })).requestsInFlight;
  const storedOnB = async (key: string): Promise<boolean> => (await admin.admin.localGet(key, { node: b.address, timeoutMs: 2000 })).found;

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, n: 1, r: 1, w: 1, hostBase: 141 });
    [a, b] = cluster.nodes as [NodeHandle, NodeHandle];
    admin = createClient({ nodes: [a.address, b.address] });
    await admin.refreshRing();
    for (let i = 0; keysOnB.length < 30; i++) if (admin.replicasOf(`fwd-${i}`)[0] === b.address) keysOnB.push(`fwd-${i}`);
  }, 60_000);

  afterAll(async () => {
    b?.resume();
    for (const c of opened) c.close();
    admin?.close();
    await cluster?.stop();
  });

  it('drops a forwarded write whose deadline passed while its target was paused, and frees the forwarder', async () => {
    const pinned = client({ timeoutMs: 1000 });
    const warm = await pinned.putString('fwd-warm', 'x', { timeoutMs: 10_000 });
    expect(warm.receipt.forwarded).toBe(admin.replicasOf('fwd-warm')[0] === b.address);
    const keys = keysOnB.slice(0, 20);

    b.pause();
    let released: boolean;
    let inFlightAfter: number;
    try {
      const started = Date.now();
      const results = await Promise.allSettled(keys.map((k) => pinned.putString(k, 'late')));
      const gaveUpAfterMs = Date.now() - started;
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof TimeoutError)).toBe(true);
      // The forwarding node's own deadline for these requests has passed too: it must let go of them.
      released = await within(1000, async () => (await inFlightOnA()) === 0);
      inFlightAfter = await inFlightOnA();
      process.stdout.write(`client gave up after ${gaveUpAfterMs} ms; forwarder in flight 1 s later: ${inFlightAfter}\n`);
    } finally {
      b.resume();
    }
    // B resumes after the deadline with the forwarded writes still in its socket buffer.
    expect(await within(10_000, async () => (await admin.admin.status({ node: b.address, timeoutMs: 500 })).nodeId === b.id)).toBe(true);
    await sleep(500);
    const applied: string[] = [];
    for (const k of keys) if (await storedOnB(k)) applied.push(k);
    process.stdout.write(`writes applied by the resumed target after their deadline: ${applied.length} of ${keys.length}\n`);
    expect(released).toBe(true);
    expect(applied).toEqual([]);
    // The check can fail: a write that reaches B in time is stored there.
    await pinned.putString(keys[0]!, 'in-time', { timeoutMs: 10_000 });
    expect(await storedOnB(keys[0]!)).toBe(true);
  });

  it('cancels a forwarded request when its caller goes away', async () => {
    // Unary calls: aborting one resets its HTTP/2 stream, which the forwarding node sees.
    const unary = client({ timeoutMs: 10_000, http2: { stream: false } });
    const keys = keysOnB.slice(20, 25);
    b.pause();
    let released: boolean;
    try {
      const abort = new AbortController();
      const pending = Promise.allSettled(keys.map((k) => unary.putString(k, 'abandoned', { signal: abort.signal })));
      expect(await within(2000, async () => (await inFlightOnA()) === keys.length)).toBe(true);
      abort.abort();
      const results = await pending;
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof CancelledError)).toBe(true);
      released = await within(1000, async () => (await inFlightOnA()) === 0);
      process.stdout.write(`forwarder in flight after the callers went away: ${await inFlightOnA()}\n`);
    } finally {
      b.resume();
    }
    expect(released).toBe(true);
  });
});

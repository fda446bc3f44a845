// Hedged reads, per-attempt deadlines, the retry budget and background probes, against a scripted
// 3-node cluster (every node a replica of every key) on real timers with short delays.
import { preferenceList } from '@quorumkv/ring';
import { createClient } from './client.js';
import type { QuorumKvClient } from './client.js';
import { TimeoutError } from './errors.js';
import { fakeCluster, fakeRing, ok, silent, sysErr, type Script } from './test-support/fake-cluster.js';

const nodes = ['a:1', 'b:1', 'c:1'];
const ring = fakeRing(nodes);
const opened: QuorumKvClient[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

/** Every node answers GetRouting with the ring and data calls with `data(node, method)`. */
function cluster(data: (node: string, method: string) => Script) {
  const scripts = Object.fromEntries(
    nodes.map((n) => [n, ((method, input, signal, timeoutMs) => (method === 'GetRouting' ? Promise.resolve(ring.routing()) : data(n, method)(method, input, signal, timeoutMs))) as Script]),
  );
  return fakeCluster(scripts);
}

function open(factory: ReturnType<typeof cluster>['factory'], options: Partial<Parameters<typeof createClient>[0]> = {}): QuorumKvClient {
  const c = createClient({ nodes, transport: factory, timeoutMs: 2000, hedge: { minDelayMs: 30 }, ...options });
  opened.push(c);
  return c;
}

const after = (ms: number, script: Script): Script => (m, i, s, t) => new Promise((r) => setTimeout(r, ms)).then(() => script(m, i, s, t));
const dataCalls = (calls: string[]): string[] => calls.filter((c) => !c.endsWith('GetRouting'));
/** The first data call of the cluster never answers; every later one does. */
function firstSilent(): () => Script {
  let first = true;
  return () => {
    const script = first ? silent : ok;
    first = false;
    return script;
  };
}

describe('hedged reads', () => {
  it('sends a slow read to a second replica after the hedge delay and answers with the first reply', async () => {
    const { factory, calls } = cluster(firstSilent());
    const c = open(factory);
    await c.refreshRing();
    const started = performance.now();
    const got = await c.get('k');
    const took = performance.now() - started;
    const gets = dataCalls(calls);
    expect(gets).toHaveLength(2);
    expect(gets[0]!.split(' ')[0]).not.toBe(gets[1]!.split(' ')[0]);
    expect(got.receipt.node).toBe(gets[1]!.split(' ')[0]);
    expect(took).toBeGreaterThanOrEqual(29);
    expect(took).toBeLessThan(1000);
  });

  it('never hedges a write', async () => {
    const { factory, calls } = cluster(() => after(120, ok));
    const c = open(factory);
    await c.refreshRing();
    await c.put('k', 'v');
    await c.delete('k');
    expect(dataCalls(calls).map((x) => x.split(' ')[1])).toEqual(['Put', 'Delete']);
  });

  it('sends no hedge once the hedge budget is spent', async () => {
    const { factory, calls } = cluster(() => after(80, ok));
    // A budget of nothing but the one token a client starts with (it earns one more per second).
    const c = open(factory, { hedge: { minDelayMs: 30, budgetRatio: 0 } });
    await c.refreshRing();
    await c.get('k');
    expect(dataCalls(calls)).toHaveLength(2);
    await c.get('k');
    expect(dataCalls(calls)).toHaveLength(3);
  });

  it('counts a hedged-over attempt that never answers against its node, until a probe answers', async () => {
    let silentNode: string | undefined;
    let probes = 0;
    const scripts = Object.fromEntries(
      nodes.map((n) => [
        n,
        ((method, input, signal, timeoutMs) => {
          if (method === 'GetRouting') {
            if (n === silentNode) probes++;
            return Promise.resolve(ring.routing());
          }
          silentNode ??= n;
          return (n === silentNode ? silent : ok)(method, input, signal, timeoutMs);
        }) as Script,
      ]),
    );
    const { factory, calls } = fakeCluster(scripts);
    const c = open(factory, { timeoutMs: 1000, nodeHealth: { downBaseMs: 300 } });
    await c.refreshRing();
    await c.get('k');
    const isUp = (): boolean | undefined => c.nodeStatus().find((s) => s.node === silentNode)?.up;
    // Its attempt had half the deadline: it is marked down once that passes, not before.
    expect(isUp()).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(isUp()).toBe(false);
    const before = dataCalls(calls).length;
    for (let i = 0; i < 5; i++) await c.get(`k${i}`);
    expect(dataCalls(calls).slice(before).filter((x) => x.startsWith(silentNode!))).toEqual([]);
    // Its next probe (a GetRouting) answers: it is routed to again.
    for (let i = 0; i < 40 && !isUp(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(probes).toBeGreaterThan(0);
    expect(isUp()).toBe(true);
  });
});

describe('stalled nodes', () => {
  it('fails a read over once its node answered nothing for four hedge delays, when no hedge is left', async () => {
    const first = preferenceList(ring.ring, 'default', new TextEncoder().encode('k'), 3).primaries[0]!;
    const { factory, calls } = cluster((n) => (n === first ? silent : ok));
    // One hedge in the budget: the first of two concurrent reads gets it, the second does not. A
    // frozen clock makes both reads pick the same (first) replica, as reads issued together do.
    const c = open(factory, { hedge: { minDelayMs: 30, budgetRatio: 0 }, now: () => 0 });
    await c.refreshRing();
    const started = performance.now();
    const [a, b] = await Promise.all([c.get('k'), c.get('k')]);
    const took = performance.now() - started;
    expect(dataCalls(calls).filter((x) => x.startsWith(first))).toHaveLength(2);
    expect([a.receipt.node, b.receipt.node]).not.toContain(first);
    // The second read waited about 4 x 30 ms, not half its 2 s deadline.
    expect(took).toBeGreaterThanOrEqual(115);
    expect(took).toBeLessThan(900);
    expect(c.nodeStatus().find((s) => s.node === first)?.up).toBe(false);
  });
});

describe('retries', () => {
  it('stop when the retry budget is spent, though attempts are left', async () => {
    const { factory, calls } = cluster(() => () => Promise.reject(sysErr('ECONNRESET')));
    // One token to start with, none earned: the first get may retry once, the second not at all.
    const c = open(factory, { hedge: false, retry: { maxAttempts: 4, baseDelayMs: 1, budgetRatio: 0, budgetPerSecond: 0 } });
    await c.refreshRing();
    await expect(c.get('k')).rejects.toBeDefined();
    expect(dataCalls(calls)).toHaveLength(2);
    await expect(c.get('k')).rejects.toBeDefined();
    expect(dataCalls(calls)).toHaveLength(3);
  });
});

describe('attempt deadlines', () => {
  it('fails a read over to another replica when its attempt gets no answer in time', async () => {
    const { factory, calls } = cluster(firstSilent());
    const c = open(factory, { hedge: false, timeoutMs: 400 });
    await c.refreshRing();
    const started = performance.now();
    await c.get('k');
    const took = performance.now() - started;
    expect(dataCalls(calls)).toHaveLength(2);
    // The first attempt had half of the 400 ms.
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(400);
  });

  it('gives a write the whole deadline and does not send it again after a timeout', async () => {
    const { factory, calls } = cluster(() => silent);
    const c = open(factory, { timeoutMs: 300 });
    await c.refreshRing();
    const started = performance.now();
    await expect(c.put('k', 'v')).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(dataCalls(calls)).toHaveLength(1);
  });
});

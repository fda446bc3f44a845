// Hint delivery per target, against the memory engine and scripted targets: one that never answers
// holds up nobody else, backs off, gets smaller batches, and is tried again at once when it comes back.
import { create } from '@bufbuild/protobuf';
import { ReplicaItemResultSchema, ReplicaStatus, type ReplicaItem } from '@quorumkv/protocol';
import { createMemoryEngine, type StorageEngine } from '@quorumkv/storage';
import { NodeMetrics } from '../observability/metrics.js';
import { HintKeeper } from './hinted-handoff.js';
import type { ReplicaTransport } from './replica-transport.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

type Answer = (items: ReplicaItem[], timeoutMs: number) => Promise<{ results: { id: bigint; status: ReplicaStatus }[] }>;

const acceptAll: Answer = async (items) => ({ results: items.map((i) => ({ id: i.id, status: ReplicaStatus.OK })) });
/** Never answers: the call fails at its deadline. */
const silent: Answer = (_items, timeoutMs) => new Promise((_r, reject) => setTimeout(() => reject(new Error('deadline exceeded')), timeoutMs));

function setup(answers: Record<string, Answer>) {
  let t = 0;
  const storage: StorageEngine = createMemoryEngine({ partitionCount: 8, partitioner: () => 0 });
  const calls: { target: string; items: number }[] = [];
  const up = new Set(Object.keys(answers));
  const router: ReplicaTransport = {
    isUp: (id) => up.has(id),
    send: () => Promise.reject(new Error('not used')),
    deliverHints: async (target, items, { timeoutMs }) => {
      calls.push({ target, items: items.length });
      return (await answers[target]!(items, timeoutMs)).results.map((r) => create(ReplicaItemResultSchema, r));
    },
  };
  const timers = { monotonicMs: () => t, after: () => () => undefined, every: () => () => undefined };
  const keeper = new HintKeeper(storage, router, new NodeMetrics(() => undefined), { intervalMs: 100, batchSize: 8, callTimeoutMs: 50, timers, now: () => 1_000_000 + t }, () => undefined);
  const hint = async (target: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await storage.addHint(target, { bucket: enc('b'), key: enc(`${target}-${i}`), value: enc('record') });
  };
  return { storage, keeper, calls, up, hint, advance: (ms: number) => (t += ms) };
}

describe('HintKeeper', () => {
  it('delivers to a target that answers while another one hangs', async () => {
    const { storage, keeper, hint } = setup({ slow: silent, fast: acceptAll });
    await hint('slow', 3);
    await hint('fast', 3);
    // Both deliveries start together; the fast target is done long before the slow call's deadline.
    const all = keeper.deliverAll();
    await new Promise((r) => setTimeout(r, 10));
    expect(storage.hintsFor('fast', 10)).toEqual([]);
    expect(storage.hintsFor('slow', 10)).toHaveLength(3);
    expect(await all).toBe(3);
  });

  it('backs a failing target off, with smaller batches, and tries again at once when it comes back', async () => {
    const answers: Record<string, Answer> = { t: silent };
    const { storage, keeper, calls, up, hint, advance } = setup(answers);
    await hint('t', 20);
    await keeper.deliverAll();
    expect(calls).toEqual([{ target: 't', items: 8 }]);
    // Backing off: the next rounds within the interval send nothing.
    await keeper.deliverAll();
    expect(calls).toHaveLength(1);
    advance(100);
    await keeper.deliverAll();
    expect(calls.map((c) => c.items)).toEqual([8, 4]);
    // Now twice the interval; but gossip sees it go down and come back: no waiting.
    up.delete('t');
    await keeper.deliverAll();
    up.add('t');
    answers['t'] = acceptAll;
    expect(await keeper.deliverAll()).toBe(20);
    // Batches grow back after deliveries: 2, 4, 8, then the remaining 6.
    expect(calls.map((c) => c.items)).toEqual([8, 4, 2, 4, 8, 6]);
    expect(storage.hintsFor('t', 10)).toEqual([]);
  });

  it('hands every hint over before the node leaves: to its target when up, else through a relay that keeps it for the target', async () => {
    const relayed: string[] = [];
    const { storage, keeper, calls, up, hint } = setup({
      up: acceptAll,
      relay: async (items) => {
        relayed.push(...items.map((i) => `${i.hintFor}:${new TextDecoder().decode(i.key)}`));
        return acceptAll(items, 0);
      },
    });
    await hint('up', 2);
    await hint('down', 2);
    up.delete('down');
    expect(await keeper.handOver((target) => (target === 'down' ? 'relay' : undefined), 1_000)).toBe(0);
    expect(calls).toEqual([
      { target: 'up', items: 2 },
      { target: 'relay', items: 2 },
    ]);
    expect(relayed).toEqual(['down:down-0', 'down:down-1']);
    expect(storage.hasHints()).toBe(false);
  });
});

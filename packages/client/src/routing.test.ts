import { create } from '@bufbuild/protobuf';
import { GetRoutingResponseSchema, Liveness, NodeInfoSchema } from '@quorumkv/protocol';
import { beginTransition, createRing, encodeRing, markDone, partitionOf, plan, preferenceList, preferenceListForPartition, replicaSets, type Ring } from '@quorumkv/ring';
import { EwmaSelector } from './node-selector/ewma.js';
import { NodeHealth } from './node-selector/health.js';
import { Router, type RouterIo } from './routing.js';

const ring = createRing({
  partitionCount: 64,
  nodes: [1, 2, 3, 4, 5].map((i) => ({ id: `n${i}`, address: `10.0.0.${i}:7070` })),
});
const addr = (id: string): string => `10.0.0.${id.slice(1)}:7070`;
const key = new TextEncoder().encode('user:42');

function setup(bucketN?: number, served: Ring = ring): { router: Router; health: NodeHealth; fetched: string[]; close: () => void } {
  let t = 0;
  const now = (): number => t++;
  const health = new NodeHealth(now, { downBaseMs: 1_000_000 });
  const fetched: string[] = [];
  const io: RouterIo = {
    getRouting: async (node) => {
      fetched.push(node);
      return create(GetRoutingResponseSchema, { ring: { encoded: encodeRing(served), defaultN: 3, version: BigInt(served.version) } });
    },
    bucketN: async () => bucketN,
    onError: () => undefined,
  };
  const router = new Router({ seeds: ['seed:1'], enabled: true, refreshIntervalMs: 0, mapAddress: (a) => a, now, fetchTimeoutMs: 500 }, io, health, new EwmaSelector(now));
  return { router, health, fetched, close: () => router.close() };
}

describe('Router', () => {
  it('routes a key to one of its primaries once the ring is known', async () => {
    const { router, fetched, close } = setup();
    expect(router.pick({ bucket: 'default', key }, new Set())).toBe('seed:1');
    await router.ensureRing();
    expect(fetched).toEqual(['seed:1']);
    const primaries = preferenceList(ring, 'default', key, 3).primaries.map(addr);
    expect(router.replicasOf({ bucket: 'default', key }).replicas).toEqual(primaries);
    expect(primaries).toContain(router.pick({ bucket: 'default', key }, new Set()));
    expect(router.nodes).toHaveLength(6);
    close();
  });

  it('during a ring change, routes a partition whose data has moved to its new replica set, the others to their current one', async () => {
    // n1 leaves; half the partitions are done (their data is on the new holders).
    const leaving = beginTransition(ring, plan(ring, { leave: ['n1'] }), 3);
    const moved = Array.from({ length: 64 }, (_, p) => p).filter((p) => preferenceListForPartition(ring, p, 3).primaries.includes('n1'));
    const done = moved.filter((_, i) => i % 2 === 0);
    const served = markDone(leaving, done);
    const { router, close } = setup(undefined, served);
    await router.ensureRing();
    let checked = { done: 0, pending: 0 };
    for (let i = 0; i < 400; i++) {
      const k = new TextEncoder().encode(`user:${i}`);
      const p = partitionOf(64, 'default', k);
      if (!moved.includes(p)) continue;
      const { replicas, fallbacks } = router.replicasOf({ bucket: 'default', key: k });
      const sets = replicaSets(served, p, 3);
      if (done.includes(p)) {
        expect(replicas).toEqual(sets.next.map(addr));
        expect(replicas).not.toContain(addr('n1'));
        checked = { ...checked, done: checked.done + 1 };
      } else {
        expect(replicas).toEqual(preferenceListForPartition(ring, p, 3).primaries.map(addr));
        expect(replicas).toContain(addr('n1'));
        checked = { ...checked, pending: checked.pending + 1 };
      }
      for (const f of fallbacks) expect(replicas).not.toContain(f);
    }
    expect(checked.done).toBeGreaterThan(10);
    expect(checked.pending).toBeGreaterThan(10);
    close();
  });

  it('during a join, routes a moved partition to its new replica set, the joiner included', async () => {
    const joining = beginTransition(ring, plan(ring, { join: [{ id: 'n6', address: '10.0.0.6:7070' }] }), 3);
    const served = markDone(joining, Array.from({ length: 64 }, (_, p) => p));
    const { router, close } = setup(undefined, served);
    await router.ensureRing();
    let toJoiner = 0;
    for (let i = 0; i < 200; i++) {
      const k = new TextEncoder().encode(`user:${i}`);
      const sets = replicaSets(served, partitionOf(64, 'default', k), 3);
      const { replicas } = router.replicasOf({ bucket: 'default', key: k });
      expect(replicas).toEqual(sets.current.map(addr));
      if (replicas.includes(addr('n6'))) toJoiner++;
    }
    expect(toJoiner).toBeGreaterThan(20);
    close();
  });

  it('clamps a bucket’s n to the ring’s members, as the nodes do', async () => {
    const three = createRing({ partitionCount: 64, nodes: [1, 2, 3].map((i) => ({ id: `n${i}`, address: `10.0.0.${i}:7070` })) });
    const growing = markDone(beginTransition(three, plan(three, { join: [{ id: 'n4', address: '10.0.0.4:7070' }] }), 3), Array.from({ length: 64 }, (_, p) => p));
    const { router, close } = setup(5, growing);
    await router.ensureRing();
    router.replicasOf({ bucket: 'big', key });
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 100; i++) {
      const k = new TextEncoder().encode(`user:${i}`);
      // The nodes use n = 3 (5 clamped to the 3 members), for which every partition is done.
      expect(router.replicasOf({ bucket: 'big', key: k }).replicas).toEqual(replicaSets(growing, partitionOf(64, 'big', k), 3).current.map(addr));
    }
    close();
  });

  it('skips down and failed primaries, then uses fallbacks', async () => {
    const { router, health, close } = setup();
    await router.ensureRing();
    const list = preferenceList(ring, 'default', key, 3);
    const [p0, p1, p2] = list.primaries.map(addr);
    health.markDown(p0!);
    const avoid = new Set([p1!]);
    expect(router.pick({ bucket: 'default', key }, avoid)).toBe(p2);
    health.markDown(p2!);
    expect(router.pick({ bucket: 'default', key }, avoid)).toBe(addr(list.fallbacks[0]!));
    close();
  });

  it('uses only the first primary of a bucket whose n is not known yet, then its n', async () => {
    const { router, close } = setup(2);
    await router.ensureRing();
    const target = { bucket: 'small', key };
    expect(router.replicasOf(target).replicas).toEqual([addr(preferenceList(ring, 'small', key, 1).primaries[0]!)]);
    await new Promise((r) => setTimeout(r, 0));
    expect(router.replicasOf(target).replicas).toEqual(preferenceList(ring, 'small', key, 2).primaries.map(addr));
    close();
  });

  it('re-fetches the ring when a response shows a newer version, and only then', async () => {
    const { router, fetched, close } = setup();
    await router.ensureRing();
    router.observeRingVersion(ring.version);
    router.observeRingVersion(ring.version + 1);
    router.observeRingVersion(ring.version + 1);
    await router.refresh();
    expect(fetched).toHaveLength(2);
    close();
  });

  it('routes around the nodes the cluster reports dead or left, and takes their current addresses from the view', async () => {
    let t = 0;
    const now = (): number => t++;
    const health = new NodeHealth(now, { downBaseMs: 1_000_000 });
    const [p0, p1, p2] = preferenceList(ring, 'default', key, 3).primaries;
    const view = [
      create(NodeInfoSchema, { id: p0!, address: addr(p0!), liveness: Liveness.DEAD }),
      create(NodeInfoSchema, { id: p1!, address: '10.9.9.9:7070', liveness: Liveness.SUSPECT }),
      create(NodeInfoSchema, { id: p2!, address: addr(p2!), liveness: Liveness.LEFT }),
    ];
    const io: RouterIo = {
      getRouting: async () => create(GetRoutingResponseSchema, { ring: { encoded: encodeRing(ring), defaultN: 3, version: BigInt(ring.version) }, nodes: view }),
      bucketN: async () => 3,
      onError: () => undefined,
    };
    const router = new Router({ seeds: ['seed:1'], enabled: true, refreshIntervalMs: 0, mapAddress: (a) => a, now, fetchTimeoutMs: 500 }, io, health, new EwmaSelector(now));
    await router.ensureRing();
    expect(router.replicasOf({ bucket: 'default', key }).replicas).toEqual([addr(p0!), '10.9.9.9:7070', addr(p2!)]);
    expect([health.isUp(addr(p0!)), health.isUp('10.9.9.9:7070'), health.isUp(addr(p2!))]).toEqual([false, true, false]);
    // Suspect is still routed to, as the nodes themselves do; dead and left are not.
    expect(router.pick({ bucket: 'default', key }, new Set())).toBe('10.9.9.9:7070');
    expect(router.pickReplica({ bucket: 'default', key }, new Set(['10.9.9.9:7070']))).toBeUndefined();
    router.close();
  });

  it('asks the next node when one does not answer a ring fetch within the per-node timeout', async () => {
    const health = new NodeHealth(() => 0);
    const asked: [string, number][] = [];
    const failed: string[] = [];
    const io: RouterIo = {
      getRouting: async (node, _v, timeoutMs) => {
        asked.push([node, timeoutMs]);
        if (node === 'slow:1') throw new Error('deadline exceeded');
        return create(GetRoutingResponseSchema, { ring: { encoded: encodeRing(ring), defaultN: 3, version: BigInt(ring.version) } });
      },
      bucketN: async () => 3,
      onError: (node) => failed.push(node),
    };
    const router = new Router({ seeds: ['slow:1', 'ok:1'], enabled: true, refreshIntervalMs: 0, mapAddress: (a) => a, now: () => 0, fetchTimeoutMs: 250 }, io, health, new EwmaSelector(() => 0));
    await router.ensureRing();
    expect(asked).toEqual([['slow:1', 250], ['ok:1', 250]]);
    expect(failed).toEqual(['slow:1']);
    expect(router.ringVersion).toBe(ring.version);
    router.close();
  });

  it('routes only to seeds when routing is off', async () => {
    const health = new NodeHealth(() => 0);
    const io: RouterIo = { getRouting: () => Promise.reject(new Error('not called')), bucketN: async () => 3, onError: () => undefined };
    const router = new Router({ seeds: ['a:1', 'b:1'], enabled: false, refreshIntervalMs: 1000, mapAddress: (a) => a, now: () => 0, fetchTimeoutMs: 500 }, io, health, new EwmaSelector(() => 0));
    await router.ensureRing();
    expect(router.ringVersion).toBe(0);
    expect(['a:1', 'b:1']).toContain(router.pick({ bucket: 'default', key }, new Set()));
    router.close();
  });
});

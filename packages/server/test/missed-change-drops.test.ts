// A node that missed a whole ownership change (paused with SIGSTOP from before the commit until the
// change finished) jumps from its old ring straight to the finished one, never holding the
// transition's rings. It must still drop its copies of the partitions it no longer holds, once
// their new holders confirm they hold them (else a later change that made it a source again would
// serve its stale copies). A node holds a partition while it is among its MAX_N = 7 possible
// holders, so partitions are lost only past 7 nodes: 7 founders, an eighth joins, and every key is
// written to all 7 founders (a bucket of n = 7).
import type { NodeHandle } from '@quorumkv/harness';
import { apply, plan, preferenceListForPartition, type Ring } from '@quorumkv/ring';
import { eventually, fetchRing, type Clients, loadKeys, localValues, primariesOf, sleep, startSeeded, useCluster, waitAllUp } from './support.js';

const HOST_BASE = 143;
const Q = 16;
const MAX_N = 7;
const BUCKET = 'wide';
const KEYS = 160;
const FLAGS = ['--partitions', String(Q), '--n', '3', '--log-level', 'warn', '--gossip-interval-ms', '200', '--hint-delivery-interval-ms', '200'];

/** How many partitions `id` is among the first MAX_N replicas of under `before` and not under `after`. */
function partitionsLostBy(before: Ring, after: Ring, id: string): number {
  const among = (r: Ring, p: number): boolean => preferenceListForPartition(r, p, MAX_N).primaries.includes(id);
  return Array.from({ length: before.partitionCount }, (_, p) => p).filter((p) => among(before, p) && !among(after, p)).length;
}

/**
 * Waits until `node` holds none of `keys`. Their new holders confirm at the first round, or a
 * later one (1 s, doubling) if the node did not reach them yet: 45 s covers five rounds.
 */
async function expectDropped(clients: Clients, node: NodeHandle, keys: readonly string[]): Promise<void> {
  const stillHeld = async (): Promise<string[]> => {
    const held = await Promise.all(keys.map(async (k) => ((await localValues(clients, node, k, BUCKET)) === undefined ? undefined : k)));
    return held.filter((k): k is string => k !== undefined);
  };
  let left: readonly string[] = keys;
  await eventually(async () => (left = await stillHeld()).length === 0, 45_000, 500);
  expect({ lost: keys.length, stillHeld: left }).toEqual({ lost: keys.length, stillHeld: [] });
}

/** Every one of `keys` is held by each of its holders under `ring`. */
async function expectOnHolders(clients: Clients, ring: Ring, keys: readonly string[], nodes: readonly NodeHandle[]): Promise<void> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const k of keys) {
    const holders = primariesOf(ring, k, MAX_N, BUCKET);
    const values = await Promise.all(holders.map((id) => localValues(clients, byId.get(id)!, k, BUCKET)));
    expect({ k, missing: holders.filter((_, i) => values[i] === undefined) }).toEqual({ k, missing: [] });
  }
}

describe('a node that missed a whole ring change', () => {
  const { clients, nodes } = useCluster({ nodes: 7, hosts: Array(7).fill(`127.0.0.${HOST_BASE}`), partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS.slice(6) });
  let joiner: NodeHandle | undefined;

  let ninth: NodeHandle | undefined;

  afterAll(async () => {
    for (const n of nodes()) n.resume();
    ninth?.resume();
    await ninth?.stop();
    await joiner?.stop();
  });

  it('drops its copies of the partitions it lost once their new holders confirm', async () => {
    const founders = nodes();
    const [n1] = founders as [NodeHandle];
    const paused = founders[6]!;
    await waitAllUp(clients, founders, 30_000);
    const admin = clients.of(n1).admin;
    await admin.createBucket({ props: { name: BUCKET, n: MAX_N, r: 1, w: MAX_N } });
    await loadKeys(clients, n1, { count: KEYS, prefix: 'k', valueBytes: 64, bucket: BUCKET });
    const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);
    // Every founder holds every key before the change.
    expect((await Promise.all(keys.slice(0, 20).map((k) => localValues(clients, paused, k, BUCKET)))).every((v) => v !== undefined)).toBe(true);

    joiner = await startSeeded({ id: 'n8', hostBase: HOST_BASE, index: 0, seed: n1, near: n1, args: FLAGS });
    expect(await eventually(async () => (await admin.join({ nodeId: 'n8' }).catch(() => undefined)) !== undefined, 30_000)).toBe(true);
    const { fromVersion } = await admin.plan({});
    paused.pause();
    let final: Ring | undefined;
    try {
      await admin.commit({ fromVersion });
      const running = [...founders.slice(0, 6), joiner];
      const settledRing = await eventually(async () => {
        const rings = await Promise.all(running.map((n) => fetchRing(clients, n)));
        final = rings[0];
        return rings.every((r) => r.transition === undefined && r.nodes.some((x) => x.id === 'n8') && r.checksum === rings[0]!.checksum);
      }, 90_000, 250);
      expect(settledRing).toBe(true);
    } finally {
      paused.resume();
    }
    // The keys whose partition the paused node is no longer a possible holder of (it was one of all 7 before).
    const lost = keys.filter((k) => !primariesOf(final!, k, MAX_N, BUCKET).includes(paused.id));
    const kept = keys.filter((k) => primariesOf(final!, k, MAX_N, BUCKET).includes(paused.id));
    expect(lost.length).toBeGreaterThan(0);
    expect(await eventually(async () => (await fetchRing(clients, paused)).checksum === final!.checksum, 30_000, 250)).toBe(true);
    await expectDropped(clients, paused, lost);
    // What it still holds a share of is kept, and every key is still on its final holders.
    expect((await Promise.all(kept.map((k) => localValues(clients, paused, k, BUCKET)))).every((v) => v !== undefined)).toBe(true);
    await expectOnHolders(clients, final!, lost, [...founders, joiner]);
  }, 240_000);
  // The copies it still has to drop are kept in its storage meta: killed with -9 while their new
  // holder cannot answer, it resumes the confirm-and-drop when it restarts.
  it('still drops them after a kill -9 while their new holder was away', async () => {
    const founders = nodes();
    const [n1] = founders as [NodeHandle];
    const admin = clients.of(n1).admin;
    const before = await fetchRing(clients, n1);
    const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);
    ninth = await startSeeded({ id: 'n9', hostBase: HOST_BASE, index: 0, seed: n1, near: n1, args: FLAGS });
    expect(await eventually(async () => (await admin.join({ nodeId: 'n9' }).catch(() => undefined)) !== undefined, 30_000)).toBe(true);
    const { fromVersion } = await admin.plan({});
    // The claimant's plan, made here the same way, tells which founder loses partitions to n9 (one
    // that is not the claimant: the change needs it running).
    const target = apply(before, plan(before, { join: [{ id: 'n9', address: ninth.address }] }));
    const losses = (id: string): number => partitionsLostBy(before, target, id);
    const paused = founders.slice(1).reduce((a, b) => (losses(b.id) > losses(a.id) ? b : a));
    expect(losses(paused.id)).toBeGreaterThan(0);
    paused.pause();
    let final: Ring | undefined;
    try {
      await admin.commit({ fromVersion });
      const running = [...founders.filter((n) => n !== paused), joiner!, ninth];
      expect(
        await eventually(async () => {
          const rings = await Promise.all(running.map((n) => fetchRing(clients, n)));
          final = rings[0];
          return rings.every((r) => r.transition === undefined && r.nodes.some((x) => x.id === 'n9') && r.checksum === rings[0]!.checksum);
        }, 90_000, 250),
      ).toBe(true);
      // The node that gained what the paused one loses is away when it catches up.
      ninth.pause();
    } finally {
      paused.resume();
    }
    const holders = (ring: Ring, k: string): string[] => primariesOf(ring, k, MAX_N, BUCKET);
    const lost = keys.filter((k) => holders(before, k).includes(paused.id) && !holders(final!, k).includes(paused.id));
    expect(lost.length).toBeGreaterThan(0);
    // Those n9 gained wait for n9 (the others may be dropped at once).
    const waiting = lost.filter((k) => holders(final!, k).includes('n9'));
    expect(waiting.length).toBeGreaterThan(0);
    expect(await eventually(async () => (await fetchRing(clients, paused)).checksum === final!.checksum, 30_000, 250)).toBe(true);
    // It asked n9 (away) at least once and keeps the copies meanwhile.
    await sleep(2_000);
    expect((await Promise.all(waiting.map((k) => localValues(clients, paused, k, BUCKET)))).every((v) => v !== undefined)).toBe(true);
    await paused.restart({ signal: 'SIGKILL', readyTimeoutMs: 30_000 });
    clients.reset(paused);
    ninth.resume();
    await expectDropped(clients, paused, lost);
    await expectOnHolders(clients, final!, lost, [...founders, joiner!, ninth]);
  }, 240_000);
});

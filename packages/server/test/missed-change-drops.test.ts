// A node that missed a whole ownership change (paused with SIGSTOP from before the commit until the
// change finished) jumps from its old ring straight to the finished one, never holding the
// transition's rings. It must still drop its copies of the partitions it no longer holds, once
// their new holders confirm they hold them (else a later change that made it a source again would
// serve its stale copies). A node holds a partition while it is among its MAX_N = 7 possible
// holders, so partitions are lost only past 7 nodes: 7 founders, an eighth joins, and every key is
// written to all 7 founders (a bucket of n = 7).
import type { NodeHandle } from '@quorumkv/harness';
import type { Ring } from '@quorumkv/ring';
import { eventually, fetchRing, loadKeys, localValues, primariesOf, startSeeded, useCluster, waitAllUp } from './support.js';

const HOST_BASE = 143;
const Q = 16;
const MAX_N = 7;
const BUCKET = 'wide';
const KEYS = 160;
const FLAGS = ['--partitions', String(Q), '--n', '3', '--log-level', 'warn', '--gossip-interval-ms', '200', '--hint-delivery-interval-ms', '200'];

describe('a node that missed a whole ring change', () => {
  const { clients, nodes } = useCluster({ nodes: 7, hosts: Array(7).fill(`127.0.0.${HOST_BASE}`), partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS.slice(6) });
  let joiner: NodeHandle | undefined;

  afterAll(async () => {
    nodes()[6]?.resume();
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
    // Its new holders confirm at the first round, or a later one (1 s, doubling) if the node did not
    // reach them yet: 45 s covers five rounds.
    const stillHeld = async (): Promise<string[]> => {
      const held = await Promise.all(lost.map(async (k) => ((await localValues(clients, paused, k, BUCKET)) === undefined ? undefined : k)));
      return held.filter((k): k is string => k !== undefined);
    };
    let left: string[] = lost;
    await eventually(async () => (left = await stillHeld()).length === 0, 45_000, 500);
    expect({ lost: lost.length, stillHeld: left }).toEqual({ lost: lost.length, stillHeld: [] });
    // What it still holds a share of is kept, and every key is still on its final holders.
    expect((await Promise.all(kept.map((k) => localValues(clients, paused, k, BUCKET)))).every((v) => v !== undefined)).toBe(true);
    for (const k of lost) {
      const holders = primariesOf(final!, k, MAX_N, BUCKET).filter((id) => id !== paused.id);
      const byId = new Map([...founders, joiner].map((n) => [n.id, n]));
      const values = await Promise.all(holders.map((id) => localValues(clients, byId.get(id)!, k, BUCKET)));
      expect({ k, missing: holders.filter((_, i) => values[i] === undefined) }).toEqual({ k, missing: [] });
    }
  }, 240_000);
});

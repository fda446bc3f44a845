// Adversarial review of issue #19's force-remove: the claimant's "it must be down" is only its own
// view, so a member that is alive but unreachable (here paused with SIGSTOP) can be forced out.
// Once out of the ring it no longer counts as a replica, so tombstones of keys it holds are
// reaped on the survivors; when it comes back it still holds the values deleted meanwhile.
// A client that reads through it must not get them back, and nothing it does may bring them back
// on the ring's members: the members refuse replica traffic from a node their ring removed, and
// the node, once the claimant's ring shows it removed, stops (exit code 3).
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, fetchRing, localRecord, readValues, settled, sleep, useCluster, waitAllUp } from './support.js';

const KEYS = 20;
const FLAGS = ['--log-level', 'warn', '--gossip-interval-ms', '200', '--replica-timeout-ms', '2000', '--tombstone-grace-ms', '1000'];

describe('a member forced out while it was only unreachable, then back', () => {
  const exits = new Map<string, number | null>();
  const { clients, nodes } = useCluster({ nodes: 4, hostBase: 46, partitions: 16, n: 3, r: 2, w: 2, extraArgs: FLAGS, onExit: (id, code) => exits.set(id, code) });
  const keys = Array.from({ length: KEYS }, (_, i) => `fr${i}`);

  it('does not resurrect keys deleted (and reaped) while it was out', async () => {
    const [n1, n2, n3, n4] = nodes() as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    for (const key of keys) await clients.of(n1).kv.put({ key: enc(key), value: enc(`v-${key}`), w: 3 });
    const held: string[] = [];
    for (const key of keys) if ((await localRecord(clients, n4, key))?.values[0] === `v-${key}`) held.push(key);
    expect(held.length).toBeGreaterThan(5);

    n4.pause();
    const admin = clients.of(n1).admin;
    expect(await eventually(async () => (await admin.forceRemove({ nodeId: 'n4' }).catch(() => undefined)) !== undefined, 30_000, 250)).toBe(true);
    await admin.commit({ fromVersion: 0n });
    await settled(clients, [n1, n2, n3], (r) => !r.nodes.some((n) => n.id === 'n4') && r.transition === undefined, 60_000);

    for (const key of held) {
      const read = await clients.of(n1).kv.get({ key: enc(key), r: 3 });
      await clients.of(n1).kv.delete({ key: enc(key), context: read.context, w: 3 });
    }
    // The survivors reap the tombstones (n4 is no replica any more).
    const reaped = await eventually(async () => {
      for (const key of held) for (const node of [n1, n2, n3]) if ((await localRecord(clients, node, key)) !== undefined) return false;
      return true;
    }, 30_000, 250);
    expect(reaped).toBe(true);

    n4.resume();
    await sleep(5_000);
    const ring4 = await fetchRing(clients, n4).catch(() => undefined);
    const back: string[] = [];
    for (const key of held) {
      const viaN4 = await readValues(clients, n4, key, 2).catch(() => [] as string[]);
      if (viaN4.length > 0) back.push(`${key} via n4 (ring ${ring4?.version})`);
    }
    await sleep(2_000);
    for (const key of held) {
      const viaN1 = await readValues(clients, n1, key, 2);
      if (viaN1.length > 0) back.push(`${key} via n1`);
    }
    expect(back).toEqual([]);
    // Told by the claimant that it was removed, n4 stops with exit code 3 (wipe before rejoining).
    expect(await eventually(() => Promise.resolve(exits.has('n4')), 30_000)).toBe(true);
    expect(exits.get('n4')).toBe(3);
  }, 180_000);
});

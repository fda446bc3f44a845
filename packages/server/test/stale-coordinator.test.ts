// Ring changes seen from a node that is not the claimant. A coordinator that missed a whole ownership change (paused with SIGSTOP from before the commit
// until the change finished) writes, right after SIGCONT, by its old ring: to the founders only,
// never to the node that joined. The replicas that answer know the newer ring: they forward each
// such write to its holders (forwarding.ts), so every owner of the final ring holds its own copy
// of every acknowledged write, not just a quorum of them (which read repair would have to mend).
import type { NodeHandle } from '@quorumkv/harness';
import type { Ring } from '@quorumkv/ring';
import { enc, eventually, fetchRing, localValues, primariesOf, sleep, startSeeded, useCluster, waitAllUp } from './support.js';

const HOST_BASE = 96;
const Q = 16;
const FLAGS = ['--partitions', String(Q), '--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn', '--gossip-interval-ms', '200', '--hint-delivery-interval-ms', '200'];
const LATE_WRITES = 120;

describe('a coordinator that missed a ring change', () => {
  const exits = new Map<string, number | null>();
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS.slice(6), onExit: (id, code) => exits.set(id, code) });
  let fourth: NodeHandle | undefined;

  afterAll(async () => {
    nodes()[2]?.resume();
    await fourth?.stop();
  });

  it('its writes by the old ring reach every owner of the new one', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    const n4 = (fourth = await startSeeded({ id: 'n4', hostBase: HOST_BASE, index: 3, seed: n1, near: n1, args: FLAGS }));
    const admin = clients.of(n1).admin;
    expect(await eventually(async () => (await admin.join({ nodeId: 'n4' }).catch(() => undefined)) !== undefined)).toBe(true);
    const { fromVersion } = await admin.plan({});
    // n3's client session is open before the pause, so the writes below wait in its socket.
    const old = await fetchRing(clients, n3);
    n3.pause();
    let final: Ring | undefined;
    let writes: Promise<string | undefined>[] = [];
    try {
      await admin.commit({ fromVersion });
      const settled = await eventually(async () => {
        const rings = await Promise.all([n1, n2, n4].map((n) => fetchRing(clients, n)));
        final = rings[0];
        return rings.every((r) => r.transition === undefined && r.nodes.some((x) => x.id === 'n4') && r.checksum === rings[0]!.checksum);
      }, 60_000, 250);
      expect(settled).toBe(true);
      // Sent while n3 is stopped: it reads them, by the ring it had, the moment it runs again.
      writes = Array.from({ length: LATE_WRITES }, (_, i) =>
        clients
          .of(n3)
          .kv.put({ key: enc(`late-${i}`), value: enc(`v${i}`), w: 2, timeoutMs: 20_000 })
          .then(
            () => `late-${i}`,
            () => undefined,
          ),
      );
      await sleep(300);
    } finally {
      n3.resume();
    }
    const acked = (await Promise.all(writes)).filter((k): k is string => k !== undefined);
    expect(acked.length).toBeGreaterThan(LATE_WRITES / 2);
    // The writes that moved: by n3's old ring their replicas were the founders; now n4 is one.
    const moved = acked.filter((key) => primariesOf(final!, key, 3).includes('n4') && !primariesOf(old, key, 3).includes('n4'));
    expect(moved.length).toBeGreaterThan(0);
    const byId = new Map([n1, n2, n3, n4].map((n) => [n.id, n]));
    const missing = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const key of acked) {
        for (const id of primariesOf(final!, key, 3)) {
          const values = await localValues(clients, byId.get(id)!, key).catch(() => undefined);
          if (!values?.includes(`v${key.slice(5)}`)) out.push(`${key}@${id}`);
        }
      }
      return out;
    };
    let last: string[] = [];
    // Forwarded copies travel as hints, and a hint holder backs off a target whose deliveries fail
    // up to 30 s: the wait covers that. (Once, in a full suite on a loaded machine, 9 of 86 moved
    // writes were still missing on n4 after 15 s.)
    await eventually(async () => (last = await missing()).length === 0, 40_000, 500);
    expect({ moved: moved.length, missing: last }).toEqual({ moved: moved.length, missing: [] });
  }, 120_000);

  // The claimant made (and so never vetted) the ring that removes it when it left; any other
  // leaver receives that ring from a peer.
  it('a founder that is not the claimant leaves, takes the ring that removes it, and stops by itself', async () => {
    const [n1, n2] = nodes() as [NodeHandle, NodeHandle];
    const rest = [n1, fourth!, nodes()[2]!];
    await clients.of(n1).admin.leave({ nodeId: 'n2' });
    await clients.of(n1).admin.commit({ fromVersion: 0n });
    const left = await eventually(async () => {
      const rings = await Promise.all(rest.map((n) => fetchRing(clients, n)));
      return rings.every((r) => r.transition === undefined && !r.nodes.some((x) => x.id === 'n2'));
    }, 60_000, 250);
    expect(left).toBe(true);
    expect(await eventually(() => Promise.resolve(exits.has('n2')), 30_000)).toBe(true);
    expect({ exit: exits.get('n2'), log: n2.logs().match(/this node left the cluster/)?.[0] }).toEqual({ exit: 0, log: 'this node left the cluster' });
  }, 120_000);
});

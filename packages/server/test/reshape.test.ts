// Reshaping a running cluster without growing or shrinking it through claim: partitions moved by
// hand, a member replaced by a new node (every partition of the old one goes to the new one,
// nothing else moves), and a dead member forced out (its partitions rebuilt from the surviving
// replicas, nothing asked of it). Each goes through the same stage, plan, commit path; every
// acknowledged write stays readable and every final replica holds its own copy.
import { join } from 'node:path';
import { NodeHandle, freePort } from '@quorumkv/harness';
import { partitionOf, preferenceListForPartition, type Ring } from '@quorumkv/ring';
import { enc, eventually, fetchRing, localRecord, primariesOf, readValues, settled, useCluster, waitAllUp, type Clients } from './support.js';

const Q = 32;
const KEYS = 300;
const HOST_BASE = 85;
const FLAGS = ['--log-level', 'warn', '--gossip-interval-ms', '200', '--replica-timeout-ms', '3000'];
const SETTLE_MS = 60_000;

/** Every key's final replicas hold their own copy of its value; every key reads back at r = 2. */
async function expectAllHeld(clients: Clients, ring: Ring, nodes: readonly NodeHandle[], keys: readonly string[]): Promise<void> {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const missing: string[] = [];
  for (const key of keys) {
    for (const id of primariesOf(ring, key, 3)) {
      const held = await localRecord(clients, byId.get(id)!, key);
      if (held?.values[0] !== `v-${key}`) missing.push(`${key}@${id}`);
    }
  }
  expect(missing).toEqual([]);
  const unread: string[] = [];
  for (const [i, key] of keys.entries()) {
    if ((await readValues(clients, nodes[i % nodes.length]!, key, 2))[0] !== `v-${key}`) unread.push(key);
  }
  expect(unread).toEqual([]);
}

describe('cluster move | replace | force-remove', () => {
  const exits = new Map<string, number | null>();
  const { clients, nodes } = useCluster({ nodes: 4, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS, onExit: (id, code) => exits.set(id, code) });
  let fifth: NodeHandle | undefined;
  const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`);

  afterAll(async () => {
    await fifth?.stop();
  });

  it('moves partitions by hand, replaces a member, forces a dead one out, keeping every write on its replicas', async () => {
    const [n1, n2, n3, n4] = nodes() as [NodeHandle, NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    for (let i = 0; i < KEYS; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key, j) => clients.of(nodes()[(i + j) % 4]!).kv.put({ key: enc(key), value: enc(`v-${key}`), w: 3 })));
    }
    const admin = clients.of(n2).admin;

    // Manual reshard: two partitions n1 does not own go to n1, nothing else changes owner.
    const before = await fetchRing(clients, n1);
    const chosen = before.owners.flatMap((o, p) => (o !== 'n1' ? [p] : [])).slice(0, 2);
    await expect(admin.move({ partitions: chosen, toNode: 'n9' })).rejects.toThrow(/to_node: node n9 is not a ring member/);
    await expect(admin.move({ partitions: [Q], toNode: 'n1' })).rejects.toThrow(/partitions: 32 is not in 0..31/);
    const staged = await admin.move({ partitions: chosen, toNode: 'n1' });
    expect(staged.staged?.moves).toEqual([expect.objectContaining({ toNode: 'n1', partitions: chosen })]);
    const movePlan = await admin.plan({});
    expect(movePlan.moves.map((m) => [m.partition, m.toNode])).toEqual(chosen.map((p) => [p, 'n1']));
    await admin.commit({ fromVersion: movePlan.fromVersion });
    const moved = await settled(clients, nodes(), (r) => r.version > before.version, SETTLE_MS);
    expect(moved.owners.filter((o, p) => o !== before.owners[p]).length).toBe(2);
    expect(chosen.map((p) => moved.owners[p])).toEqual(['n1', 'n1']);
    await expectAllHeld(clients, moved, nodes(), keys.filter((_, i) => i % 3 === 0));

    // Replace n4 by n5, a node started with --seeds only: every partition of n4 goes to n5.
    const host = `127.0.0.${HOST_BASE + 4}`;
    const port = await freePort(host);
    const dataDir = join(n1.dataDir!, '..', 'n5');
    fifth = new NodeHandle({ id: 'n5', host, port, dataDir, args: ['--node-id', 'n5', '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', n3.address, '--partitions', String(Q), '--n', '3', ...FLAGS] });
    fifth.start();
    await fifth.waitReady(30_000);
    const n5 = fifth;
    await expect(admin.replace({ oldNodeId: 'n9', newNodeId: 'n5' })).rejects.toThrow(/old_node_id: node n9 is not a ring member/);
    await expect(admin.replace({ oldNodeId: 'n4', newNodeId: 'n3' })).rejects.toThrow(/new_node_id: node n3 is already a ring member/);
    expect(await eventually(async () => (await admin.replace({ oldNodeId: 'n4', newNodeId: 'n5' }).catch(() => undefined)) !== undefined)).toBe(true);
    const replacePlan = await admin.plan({});
    const ofN4 = moved.owners.flatMap((o, p) => (o === 'n4' ? [p] : []));
    expect(replacePlan.moves.map((m) => [m.partition, m.fromNode, m.toNode])).toEqual(ofN4.map((p) => [p, 'n4', 'n5']));
    // n5 gains every key-partition n4 replicates; their records and bytes are counted by their
    // senders, though the claimant (n1) holds only some of them.
    const gained = new Set([...Array(Q).keys()].filter((p) => preferenceListForPartition(moved, p, 3).primaries.includes('n4')));
    const notOnN1 = [...gained].filter((p) => !preferenceListForPartition(moved, p, 3).primaries.includes('n1'));
    expect(notOnN1.length).toBeGreaterThan(0);
    expect(replacePlan.transfers).toBe(gained.size);
    expect(Number(replacePlan.keys)).toBe(keys.filter((key) => gained.has(partitionOf(Q, 'default', key))).length);
    expect(Number(replacePlan.bytes)).toBeGreaterThan(Number(replacePlan.keys) * 'v-k0'.length);
    expect(replacePlan.statsMissing).toEqual([]);
    expect(replacePlan.handoffBytesPerSecond).toBe(16n * 1024n * 1024n);
    expect(replacePlan.etaSeconds).toBeGreaterThan(0);
    await admin.commit({ fromVersion: replacePlan.fromVersion });
    const replaced = await settled(clients, [n1, n2, n3, n5], (r) => !r.nodes.some((n) => n.id === 'n4'), SETTLE_MS);
    expect(replaced.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3', 'n5']);
    expect(ofN4.every((p) => replaced.owners[p] === 'n5')).toBe(true);
    // n4 was not the claimant: it adopts the ring that drops it, and stops by itself, cleanly.
    expect(await eventually(() => Promise.resolve(exits.has('n4')), 30_000)).toBe(true);
    expect(exits.get('n4')).toBe(0);
    await expectAllHeld(clients, replaced, [n1, n2, n3, n5], keys.filter((_, i) => i % 3 === 1));

    // n3 dies: it cannot be asked for anything. A live node is refused (leave is for those).
    await expect(admin.forceRemove({ nodeId: 'n3' })).rejects.toThrow(/node_id: node n3 is up: use `cluster leave`/);
    await n3.kill('SIGKILL');
    expect(await eventually(async () => (await admin.forceRemove({ nodeId: 'n3' }).catch(() => undefined)) !== undefined, 30_000, 250)).toBe(true);
    const removePlan = await admin.plan({});
    expect(removePlan.moves.length).toBe(replaced.owners.filter((o) => o === 'n3').length);
    expect(removePlan.moves.every((m) => m.fromNode === 'n3')).toBe(true);
    await admin.commit({ fromVersion: removePlan.fromVersion });
    const rest = [n1, n2, n5];
    const removed = await settled(clients, rest, (r) => !r.nodes.some((n) => n.id === 'n3'), SETTLE_MS);
    expect(removed.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n5']);
    // Three nodes for n = 3: every node now holds every key, rebuilt from the survivors.
    await expectAllHeld(clients, removed, rest, keys);
    // Nothing is left to force out, and the cluster does not shrink below n.
    await expect(admin.commit({ fromVersion: 0n })).rejects.toThrow(/nothing staged/);
    await expect(clients.of(n1).admin.leave({ nodeId: 'n5' }).then(() => admin.plan({}))).rejects.toThrow(/leave 2 active nodes, fewer than n = 3/);
    expect((await admin.clear({})).cleared).toBe(true);
    expect((await fetchRing(clients, n1)).version).toBe(removed.version);
  }, 240_000);
});

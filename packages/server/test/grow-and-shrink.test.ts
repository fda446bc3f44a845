// A cluster that grows and shrinks while it serves: a fourth node started with only --seeds is
// joined (staged on a node that is not the claimant, planned, committed), the data it gains is
// handed off to it, then a founder leaves. Throughout and afterwards every acknowledged write is
// readable at r = 2 with its value, and no deleted key comes back.
import { join } from 'node:path';
import { NodeHandle, freePort } from '@quorumkv/harness';
import { dec, enc, eventually, fetchRing, localRecord, primariesOf, settled, sleep, useCluster, waitAllUp, type Clients } from './support.js';

const Q = 64;
const KEYS = 1000;
const HOST_BASE = 250;
// A replica timeout above the default: the suite shares two cores with other work.
const FLAGS = ['--partitions', String(Q), '--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn', '--gossip-interval-ms', '200', '--replica-timeout-ms', '3000'];

/** Writes and deletes with their acknowledged outcome; reads them back. */
class Workload {
  readonly acked = new Map<string, string>();
  readonly deleted = new Set<string>();
  readonly problems: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly clients: Clients,
    private readonly entry: () => NodeHandle[],
  ) {}

  async put(key: string, value: string, via: NodeHandle): Promise<void> {
    await this.clients.of(via).kv.put({ key: enc(key), value: enc(value), w: 2 });
    this.acked.set(key, value);
  }

  /** Writes new keys (and reads old ones) until stopped; a read that misses or differs is a problem. */
  start(prefix: string): void {
    this.running = true;
    let i = 0;
    this.loop = (async () => {
      while (this.running) {
        const nodes = this.entry();
        const via = nodes[i % nodes.length]!;
        const key = `${prefix}-${i}`;
        await this.put(key, `v-${key}`, via).catch(() => undefined);
        const keys = [...this.acked.keys()];
        const probe = keys[(i * 7919) % keys.length]!;
        await this.check(probe, via).catch(() => undefined);
        i++;
        await sleep(5);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Reads `key` at r = 2 via `node` and records a problem when it is not what was acknowledged. */
  async check(key: string, node: NodeHandle): Promise<void> {
    const got = await this.clients.of(node).kv.get({ key: enc(key), r: 2 });
    const values = got.found ? got.siblings.map((s) => dec(s.value)) : [];
    if (this.deleted.has(key)) {
      if (values.length > 0) this.problems.push(`${key} was deleted but ${node.id} returns ${values.join(',')}`);
      return;
    }
    const want = this.acked.get(key);
    if (want !== undefined && !values.includes(want)) this.problems.push(`${key}: ${node.id} returns [${values.join(',')}], acknowledged ${want}`);
  }

  /**
   * Reads every acknowledged and deleted key, spreading the reads over `nodes`. A read that fails
   * (a quorum short of answers on a loaded machine says nothing about the data) is tried again on
   * the next node, three times at most; one that never answers is a problem too.
   */
  async checkAll(nodes: readonly NodeHandle[]): Promise<void> {
    const keys = [...this.acked.keys(), ...this.deleted];
    const checkOne = async (key: string, at: number): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.check(key, nodes[(at + attempt) % nodes.length]!);
        } catch (err) {
          if (attempt === 2) return void this.problems.push(`${key}: no read answered (${(err as Error).message})`);
        }
      }
    };
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((key, j) => checkOne(key, i + j)));
    }
  }
}

describe('a cluster that grows and shrinks', () => {
  const exits = new Map<string, number | null>();
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS.slice(6), onExit: (id, code) => exits.set(id, code) });
  let fourth: NodeHandle | undefined;

  afterAll(async () => {
    await fourth?.stop();
  });

  it('joins a node started with --seeds, hands off its partitions, then lets a founder leave, losing no acknowledged write', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    const work = new Workload(clients, () => [n2, n3]);
    for (let i = 0; i < KEYS; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, KEYS - i) }, (_, j) => work.put(`k${i + j}`, `v${i + j}`, nodes()[(i + j) % 3]!)));
    }
    for (let i = 0; i < 100; i++) {
      const key = `k${i * 7}`;
      await clients.of(n1).kv.delete({ key: enc(key), w: 2 });
      work.deleted.add(key);
      work.acked.delete(key);
    }

    // A fourth node knows only a seed: it learns the cluster and appears as a member owning nothing.
    const host = `127.0.0.${HOST_BASE + 3}`;
    const port = await freePort(host);
    const dataDir = join(nodes()[0]!.dataDir!, '..', 'n4');
    fourth = new NodeHandle({
      id: 'n4',
      host,
      port,
      dataDir,
      logFile: join(dataDir, '..', 'n4.log'),
      args: ['--node-id', 'n4', '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', n3.address, ...FLAGS],
    });
    fourth.start();
    await fourth.waitReady(30_000);
    const n4 = fourth;
    expect((await clients.of(n4).admin.status({})).clusterId).toBe((await clients.of(n1).admin.status({})).clusterId);
    expect((await fetchRing(clients, n4)).nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    // It serves by forwarding before it owns anything.
    await work.check('k1', n4);
    expect(await eventually(async () => (await clients.of(n2).admin.members({})).members.length >= 3)).toBe(true);

    // Staged on n2 (the claimant is n1): the change is handed to the claimant.
    const admin = clients.of(n2).admin;
    await expect(admin.commit({ fromVersion: 0n })).rejects.toThrow(/nothing staged/);
    expect(await eventually(async () => (await admin.join({ nodeId: 'n4' }).catch(() => undefined))?.stagedJoins.includes('n4') === true)).toBe(true);
    const plan = await admin.plan({});
    expect(plan.moves.length).toBeGreaterThan(0);
    expect(plan.moves.every((m) => m.toNode === 'n4')).toBe(true);
    expect(plan.balanceAfter).toBeLessThanOrEqual(1.1);
    work.start('during-join');
    const committed = await admin.commit({ fromVersion: plan.fromVersion });
    expect(committed.ringVersion).toBe(plan.toVersion);
    const all = [n1, n2, n3, n4];
    const joined = await settled(clients, all, (r) => r.nodes.some((n) => n.id === 'n4'), 90_000);
    const moved = plan.moves.map((m) => m.partition);
    expect(moved.every((p) => joined.owners[p] === 'n4')).toBe(true);
    await work.stop();
    await work.checkAll(all);
    expect(work.problems).toEqual([]);

    // n4 holds the keys of the partitions it now replicates (its own copy, not a forwarded read).
    const sample = [...work.acked.keys()].filter((_, i) => i % 25 === 0);
    for (const key of sample) {
      const replicas = primariesOf(joined, key, 3);
      if (!replicas.includes('n4')) continue;
      expect({ key, values: (await localRecord(clients, n4, key))?.values }).toEqual({ key, values: [work.acked.get(key)] });
    }

    // A founder (the claimant itself) leaves; the rest take over its partitions.
    work.start('during-leave');
    await clients.of(n3).admin.leave({ nodeId: 'n1' });
    await clients.of(n3).admin.commit({ fromVersion: 0n });
    const rest = [n2, n3, n4];
    const shrunk = await settled(clients, rest, (r) => !r.nodes.some((n) => n.id === 'n1'), 90_000);
    expect(shrunk.nodes.map((n) => n.id)).toEqual(['n2', 'n3', 'n4']);
    await work.stop();
    await work.checkAll(rest);
    expect(work.problems).toEqual([]);
    // Every replica of the final ring holds its own copy.
    const byId = new Map(rest.map((node) => [node.id, node]));
    for (const key of [...work.acked.keys()].filter((_, i) => i % 40 === 0)) {
      for (const id of primariesOf(shrunk, key, 3)) {
        expect({ key, id, values: (await localRecord(clients, byId.get(id)!, key))?.values }).toEqual({ key, id, values: [work.acked.get(key)] });
      }
    }
    // The node that left dropped its copies and stopped by itself, cleanly.
    expect(await eventually(() => Promise.resolve(exits.has('n1')), 30_000)).toBe(true);
    expect(exits.get('n1')).toBe(0);
    expect(n1.logs()).toMatch(/this node left the cluster: it owns nothing and holds no data; stopping/);
  }, 300_000);
});

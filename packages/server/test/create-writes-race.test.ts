// Adversarial: `cluster create` while clients write to every node of it: the first node (which
// proposes) and the nodes that take its cluster, from before the proposal until the grown ring is
// in force. Is every write a node acknowledged held afterwards by all n replicas of the new ring?
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeHandle } from '@quorumkv/harness';
import { Clients, enc, eventually, fetchRing, localValues, settled, sleep, startLone } from './support.js';

const HOST = '127.0.0.14';
const FLAGS = ['--partitions', '16', '--n', '3', '--log-level', 'warn', '--gossip-interval-ms', '200'];


describe('cluster create while clients write', () => {
  const clients = new Clients();
  const started: NodeHandle[] = [];
  afterAll(async () => {
    clients.close();
    for (const h of started) await h.stop().catch(() => undefined);
  });
  /** Three nodes started alone, their data dirs under a fresh directory (the previous test's are stopped). */
  const trio = async (name: string): Promise<[NodeHandle, NodeHandle, NodeHandle]> => {
    for (const h of started.splice(0)) await h.stop();
    const root = mkdtempSync(join(tmpdir(), `qkv-${name}-`));
    for (const id of ['c1', 'c2', 'c3']) started.push(await startLone({ id, host: HOST, root, args: FLAGS }));
    return [...started] as [NodeHandle, NodeHandle, NodeHandle];
  };
  /** The ids of the nodes holding a copy of `key`. */
  const holders = async (key: string): Promise<string[]> => (await Promise.all(started.map(async (n) => ((await localValues(clients, n, key)) !== undefined ? n.id : '')))).filter((id) => id !== '');

  it('every write acknowledged by any node during the create is held by all n replicas afterwards', async () => {
    const nodes = await trio('create-race');
    const [first, ...others] = nodes;
    const acked: string[] = [];
    const phaseOf = new Map<string, string>();
    // How each acknowledged write was coordinated (by whom, by which ring version, with whose acks), for the failure message.
    const receipts = new Map<string, string>();
    const refused = new Map<string, number>();
    let phase = 'proposing';
    let running = true;
    // A client writes to each node, starting at the first node just after its emptiness check
    // (while it proposes) and at the others once they took its cluster (before a node takes it,
    // a write there would make it refuse the proposal).
    const writer = (node: NodeHandle, w: number) => async (): Promise<void> => {
      for (let i = 0; running && i < 5000; i++) {
        const key = `${node.id}-w${w}-${i}`;
        try {
          const res = await clients.of(node).kv.put({ key: enc(key), value: enc('x'), timeoutMs: 2000 });
          acked.push(key);
          const r = res.receipt;
          receipts.set(key, `coordinator ${r?.coordinator} ring v${r?.ringVersion} w=${r?.required} acks [${r?.replicas.filter((x) => x.ok).map((x) => x.nodeId).join(',')}]`);
          phaseOf.set(key, phase);
        } catch {
          refused.set(phase, (refused.get(phase) ?? 0) + 1);
          clients.reset(node);
          await sleep(20);
        }
      }
    };
    const admin = clients.of(first).admin;
    const creating = admin.createCluster({ addresses: others.map((o) => o.address) });
    await sleep(Number(process.env.ATT_DELAY ?? '15'));
    const writers = [writer(first, 0)(), writer(first, 1)()];
    const created = await creating;
    expect(created.nodes.map((n) => n.nodeId).sort()).toEqual(['c2', 'c3']);
    phase = 'staged';
    writers.push(...others.map((o) => writer(o, 0)()));
    await sleep(500);
    const plan = await admin.plan({});
    await admin.commit({ fromVersion: plan.fromVersion });
    phase = 'transition';
    await settled(clients, nodes, (r) => r.nodes.length === 3, 60_000);
    phase = 'grown';
    // Writes once the create is over (a loaded machine acknowledges few per second: count, not time).
    for (let waited = 0; waited < 20_000 && acked.filter((k) => phaseOf.get(k) === 'grown').length < 20; waited += 100) await sleep(100);
    running = false;
    await Promise.all(writers);
    // Copies still on their way (a put acknowledged at w=2 of 3) land within this.
    await sleep(3000);
    const ring = await fetchRing(clients, first);
    expect(ring.nodes.length).toBe(3);

    const short: string[] = [];
    for (const key of acked) {
      const held = await holders(key);
      if (held.length < 3) short.push(`${key}@[${held.join(',')}]`);
    }
    const phases = ['proposing', 'staged', 'transition', 'grown'].map(
      (ph) => `${ph}: ${short.filter((k) => phaseOf.get(k.split('@')[0]!) === ph).length}/${acked.filter((k) => phaseOf.get(k) === ph).length} (refused ${refused.get(ph) ?? 0})`,
    );
    console.log(`held by fewer than 3 replicas / acked, by phase: ${phases.join(', ')}; first: ${short.slice(0, 5).map((k) => `${k} (${receipts.get(k.split('@')[0]!)})`).join(' ')}`);
    // The writers ran through every phase of the create (acknowledged or refused), and wrote once it
    // was over.
    for (const ph of ['proposing', 'staged', 'transition']) expect({ ph, tried: (refused.get(ph) ?? 0) + acked.filter((k) => phaseOf.get(k) === ph).length > 0 }).toEqual({ ph, tried: true });
    expect(acked.filter((k) => phaseOf.get(k) === 'grown').length).toBeGreaterThan(10);
    expect(short.slice(0, 10)).toEqual([]);
  }, 150_000);

  it('a first node killed before the commit and restarted refuses writes until the grown ring is in force, and the create goes on', async () => {
    const nodes = await trio('create-restart');
    const [first, ...others] = nodes;
    await clients.of(first).admin.createCluster({ addresses: others.map((o) => o.address) });
    // kill -9 and start again on the same data dir: its ring is still one node's (n = 1).
    await first.restart();
    clients.reset(first);
    const put = (key: string) => clients.of(first).kv.put({ key: enc(key), value: enc('x'), timeoutMs: 2000 });
    await expect(put('before-commit')).rejects.toThrow(/forming a cluster/);
    // The joins it staged survived the restart: plan and commit once gossip has the others again.
    const admin = clients.of(first).admin;
    let lastError = '';
    const commit = async (): Promise<boolean> => {
      try {
        await admin.commit({ fromVersion: (await admin.plan({})).fromVersion });
        return true;
      } catch (err) {
        lastError = String(err);
        return false;
      }
    };
    expect((await eventually(commit, 30_000, 250)) ? 'committed' : lastError).toBe('committed');
    await settled(clients, nodes, (r) => r.nodes.length === 3, 60_000);
    await put('after-grown');
    expect(await eventually(async () => (await holders('after-grown')).length === 3, 5_000)).toBe(true);
    expect(await holders('before-commit')).toEqual([]);
  }, 150_000);
});

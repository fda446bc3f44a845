// Adversarial: a join whose handoff (packed records, merged with updateMany) runs while writers put
// and delete the same keys with contexts. Afterwards every key's last acknowledged operation holds:
// an acknowledged put is readable, an acknowledged delete stays deleted, on every replica.
import { join } from 'node:path';
import { NodeHandle, freePort } from '@quorumkv/harness';
import { dec, enc, eventually, loadKeys, localRecord, primariesOf, settled, sleep, useCluster, waitAllUp } from './support.js';

const Q = 32;
const HOST_BASE = 194;
const HOT = 240;
const FLAGS = ['--log-level', 'warn', '--gossip-interval-ms', '200', '--replica-timeout-ms', '3000', '--handoff-pace', 'fixed', '--handoff-bytes-per-second', process.env.ATT_BPS ?? '30000', '--handoff-batch-items', '200'];

describe('handoff under contexts', () => {
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, partitions: Q, n: 3, r: 2, w: 2, extraArgs: FLAGS });
  let fourth: NodeHandle | undefined;
  afterAll(async () => {
    await fourth?.stop();
  });

  it('loses no acknowledged put and resurrects no acknowledged delete', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await waitAllUp(clients, nodes());
    await loadKeys(clients, n1, { count: 4000, prefix: 'bulk', valueBytes: 200 });
    await loadKeys(clients, n2, { count: HOT, prefix: 'hot', valueBytes: 20 });
    // last acknowledged state per key: a value, or null for deleted; undefined key = indeterminate
    const last = new Map<string, string | null>();
    for (let i = 0; i < HOT; i++) last.set(`hot${i}`, 'x'.repeat(20));
    const unknown = new Set<string>();
    let running = true;
    let ops = 0;
    let fails = 0;
    const writer = async (w: number): Promise<void> => {
      let i = w;
      while (running) {
        const key = `hot${(i * 37) % HOT}`;
        const via = nodes()[i % 3]!;
        const c = clients.of(via).kv;
        try {
          const got = await c.get({ key: enc(key), r: 2 });
          const del = (i + w) % 3 === 0;
          if (del) {
            await c.delete({ key: enc(key), context: got.context, w: 2 });
            last.set(key, null);
          } else {
            const v = `v${w}-${i}`;
            await c.put({ key: enc(key), value: enc(v), context: got.context, w: 2 });
            last.set(key, v);
          }
          unknown.delete(key);
          ops++;
        } catch {
          fails++;
          unknown.add(key);
        }
        i += 4;
      }
    };
    const loops = [0, 1, 2, 3].map((w) => writer(w));
    let ring: Awaited<ReturnType<typeof settled>>;
    let handoffMs = 0;
    try {
    await sleep(500);

    const host = `127.0.0.${HOST_BASE + 3}`;
    const port = await freePort(host);
    const dataDir = join(n1.dataDir!, '..', 'n4');
    fourth = new NodeHandle({ id: 'n4', host, port, dataDir, logFile: join(dataDir, '..', 'n4.log'), args: ['--node-id', 'n4', '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', n3.address, '--partitions', String(Q), '--n', '3', '--r', '2', '--w', '2', ...FLAGS] });
    fourth.start();
    await fourth.waitReady(30_000);
    expect(await eventually(async () => (await clients.of(n2).admin.members({})).members.length >= 3)).toBe(true);
    const admin = clients.of(n2).admin;
    expect(await eventually(async () => (await admin.join({ nodeId: 'n4' }).catch(() => undefined))?.stagedJoins.includes('n4') === true)).toBe(true);
    const plan = await admin.plan({});
    const t0 = Date.now();
    await admin.commit({ fromVersion: plan.fromVersion });
    const mode = process.env.ATT_FAULT ?? 'kill-receiver';
    const fault = (async () => {
      if (mode === '') return;
      await sleep(Number(process.env.ATT_FAULT_AT ?? 3000));
      const target = mode.endsWith('receiver') ? fourth! : n1;
      if (mode.startsWith('kill')) {
        await target.restart({ signal: 'SIGKILL' });
        clients.reset(target);
      } else {
        target.pause();
        await sleep(4000);
        target.resume();
      }
      console.log(`fault ${mode} done`);
    })();
    ring = await settled(clients, [n1, n2, n3, fourth], (r) => r.nodes.some((n) => n.id === 'n4') && r.transition === undefined, 100_000);
    handoffMs = Date.now() - t0;
    await fault;
    running = false;
    await Promise.all(loops);
    } finally {
      running = false;
    }
    await sleep(1500);
    const n4 = fourth!;
    const all = [n1, n2, n3, n4];
    const problems: string[] = [];
    const byId = new Map(all.map((x) => [x.id, x]));
    for (const [key, want] of last) {
      if (unknown.has(key)) continue;
      for (const id of primariesOf(ring, key, 3)) {
        const rec = await localRecord(clients, byId.get(id)!, key);
        const values = (rec?.values ?? []).filter((v) => v !== '<tombstone>');
        if (want === null ? values.length > 0 : !values.includes(want)) problems.push(`${key} on ${id}: [${values.join(',')}] want ${want}`);
      }
      const got = await clients.of(n4).kv.get({ key: enc(key), r: 3 });
      const vals = got.found ? got.siblings.map((s) => dec(s.value)) : [];
      if (want === null ? vals.length > 0 : !vals.includes(want)) problems.push(`${key} r=3 via n4: [${vals.join(',')}] want ${want}`);
    }
    console.log(JSON.stringify({ ops, fails, unknown: unknown.size, handoffMs, problems: problems.length, sample: problems.slice(0, 20) }));
    expect(problems).toEqual([]);
  }, 180_000);
});

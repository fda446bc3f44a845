// Adversarial: a lone empty node that a client starts writing to while AdoptCluster (cluster
// create's take step, or an outsider in the open quick start) is in flight. Does any write the
// node acknowledged survive the node restarting onto the proposed cluster?
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeHandle } from '@quorumkv/harness';
import { Clients, enc, eventually, localValues, sleep, startLone } from './support.js';

const FLAGS = ['--partitions', '16', '--n', '1', '--r', '1', '--w', '1', '--log-level', 'warn', '--gossip-interval-ms', '200'];

const lone = (id: string, host: string, root: string): Promise<NodeHandle> => startLone({ id, host, root, args: FLAGS });

describe('adopt while writes arrive', () => {
  const clients = new Clients();
  const started: NodeHandle[] = [];
  afterAll(async () => {
    clients.close();
    for (const h of started) await h.stop().catch(() => undefined);
  });

  it('keeps every write the adopted node acknowledged', async () => {
    const root = mkdtempSync(join(tmpdir(), 'qkv-adopt-race-'));
    const seed = await lone('a', '127.0.0.198', root);
    started.push(seed);
    const clusterId = (await clients.of(seed).admin.status({})).clusterId;
    const report: string[] = [];
    const delays = (process.env.ATT_DELAYS ?? '6,10,14,18,22,28,36').split(',').map(Number);
    for (const [t, delay] of delays.entries()) {
      const v = await lone(`v${t}`, '127.0.0.199', root);
      started.push(v);
      const kv = clients.of(v).kv;
      const acked: string[] = [];
      let running = true;
      const adopt = clients.of(v).admin.adoptCluster({ seed: seed.address, clusterId, partitions: 16, n: 1 }).then(
        () => 'took',
        (e: Error) => `refused: ${e.message.slice(0, 80)}`,
      );
      await sleep(delay);
      const writers = [0, 1, 2, 3].map(async (w) => {
        for (let i = 0; running && i < 2000; i++) {
          const key = `t${t}-w${w}-${i}`;
          try {
            await kv.put({ key: enc(key), value: enc('x'), w: 1, timeoutMs: 2000 });
            acked.push(key);
          } catch {
            await sleep(5);
          }
        }
      });
      const outcome = await adopt;
      await sleep(1500);
      running = false;
      await Promise.all(writers);
      clients.reset(v);
      let lost = 0;
      if (outcome === 'took') {
        await eventually(async () => (await clients.of(v).admin.status({}).catch(() => undefined))?.clusterId === clusterId, 20_000);
        for (const key of acked) {
          const g = await clients.of(seed).kv.get({ key: enc(key), r: 1 });
          if (!g.found) lost++;
        }
        const local = acked.length > 0 ? await localValues(clients, v, acked[0]!).catch(() => undefined) : undefined;
        report.push(`delay ${delay}: ${outcome}; acked ${acked.length}, not readable in the cluster ${lost}; first acked key on v locally: ${JSON.stringify(local)}`);
      } else report.push(`delay ${delay}: ${outcome}; acked ${acked.length}`);
      await v.stop().catch(() => undefined);
      clients.reset(v);
    }
    console.log(report.join('\n'));
    // Some trial must have let the node take the cluster after writes began, or nothing was tested.
    expect(report.some((r) => r.includes(': took; acked') && !r.includes('acked 0,'))).toBe(true);
    expect(report.filter((r) => / not readable in the cluster [1-9]/.test(r))).toEqual([]);
  }, 170_000);
});

// The adaptive handoff pace on real processes: a founder sends its share of a join while the
// client requests it coordinates are slow (other clients write 256 KiB values through it at w=3
// beside the small reads it serves), and its pace stays at the floor; once those writers stop the
// requests are fast again, the pace climbs, and the join completes with every key readable.
import type { NodeHandle } from '@quorumkv/harness';
import { counter } from './hostile-clients.js';
import { enc, eventually, loadKeys, readValues, settled, sleep, startSeeded, useCluster } from './support.js';

const HOST_BASE = 106;
const KEYS = 1500;
const MAX_RATE = 8_000_000;
const FLOOR = MAX_RATE / 64;
const FLAGS = ['--partitions', '8', '--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn', '--gossip-interval-ms', '200', '--replica-timeout-ms', '400', '--handoff-bytes-per-second', String(MAX_RATE), '--handoff-batch-items', '16'];
const PACE = 'quorumkv_handoff_pace_bytes_per_second';

describe('adaptive handoff pace', () => {
  // The rate here is the pace's own view; the bytes a sender moves follow it (handoff-sender.ts, throttle).
  const { clients, nodes } = useCluster({ nodes: 3, hostBase: HOST_BASE, extraArgs: FLAGS });

  it('holds a sender at the floor while its requests are slow, and climbs once they are fast', async () => {
    const [n1, n2, n3] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await loadKeys(clients, n1, { count: KEYS, prefix: 'k', valueBytes: 1024 });
    const n4 = await startSeeded({ id: 'n4', hostBase: HOST_BASE, index: 3, seed: n1, near: n1, args: FLAGS });
    try {
      // Small reads at n1 throughout: the requests whose latency the pace watches.
      let reading = true;
      let calls = 0;
      const lanes = (count: number, call: (i: number) => Promise<unknown>, running: () => boolean) =>
        Promise.all(
          Array.from({ length: count }, async (_, lane) => {
            for (let i = lane; running() && i < 1_000_000; i += count) {
              await call(i).catch(() => undefined);
              calls++;
            }
          }),
        );
      const reader = lanes(4, (i) => clients.of(n1).kv.get({ key: enc(`k${i % KEYS}`) }), () => reading);
      await sleep(1_500); // quiet windows: n1 learns its latency without transfers
      expect(calls).toBeGreaterThan(100);
      // Heavy writes through n1 make its requests several times slower than that.
      let writing = true;
      const big = new Uint8Array(256 * 1024).fill(7);
      const writers = lanes(6, (i) => clients.of(n1).kv.put({ key: enc(`big${i % 32}`), value: big, w: 3 }), () => writing);
      try {
        expect(await eventually(async () => (await clients.of(n1).admin.join({ nodeId: 'n4' }).catch(() => undefined))?.stagedJoins.includes('n4') === true, 15_000)).toBe(true);
        const plan = await clients.of(n1).admin.plan({});
        await clients.of(n1).admin.commit({ fromVersion: plan.fromVersion });
        // n1 sends (it is a source of its own partitions) while its requests are slow: the pace stays down.
        expect(await eventually(async () => (await counter(n1.url, 'quorumkv_handoff_bytes_sent_total')) > 0, 15_000)).toBe(true);
        const whileSlow: number[] = [];
        for (let i = 0; i < 12; i++, await sleep(250)) whileSlow.push(await counter(n1.url, PACE));
        process.stdout.write(`pace while slow ${whileSlow.join(' ')}\n`);
        // Undisturbed it climbs a step per window (12 steps over these 3 s); here it stays near the floor.
        expect(Math.max(...whileSlow)).toBeLessThanOrEqual(4 * FLOOR);
        expect(Math.min(...whileSlow)).toBeGreaterThanOrEqual(FLOOR);

        writing = false;
        await writers;
        // Fast requests again: each 250 ms window adds a step.
        expect(await eventually(async () => (await counter(n1.url, PACE)) >= 4 * FLOOR, 20_000, 100)).toBe(true);
      } finally {
        writing = false;
        reading = false;
        await Promise.all([writers, reader]);
      }
      const ring = await settled(clients, [n1, n2, n3, n4], (r) => r.nodes.length === 4, 120_000);
      expect(ring.owners).toContain('n4');
      for (let i = 0; i < KEYS; i += 97) expect(await readValues(clients, n2, `k${i}`, 3)).toHaveLength(1);
    } finally {
      await n4.stop();
    }
  }, 150_000);
});

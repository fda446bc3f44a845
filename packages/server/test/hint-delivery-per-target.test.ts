// Issue #16, observation 10: hint delivery to one target must not wait behind another. Three nodes,
// n=3 w=1: with n2 and n3 paused (SIGSTOP), writes through n1 leave hints for both. n1 starts
// delivering while both still look alive to gossip (its probe period is long here), so a delivery
// call to each hangs. When n3 resumes its hints must arrive at once, though n2 stays paused.
import type { NodeHandle } from '@quorumkv/harness';
import { enc, localValues, sleep, useCluster } from './support.js';

describe('hinted handoff delivers to each target on its own', () => {
  const { clients, nodes } = useCluster({
    nodes: 3,
    n: 3,
    r: 1,
    w: 1,
    hostBase: 151,
    // Slow failure detection keeps paused nodes "alive" for a few seconds; replicas that stay
    // silent for 200 ms get hints, which are offered every 100 ms.
    extraArgs: ['--gossip-interval-ms', '4000', '--replica-timeout-ms', '200', '--hint-delivery-interval-ms', '100'],
  });

  /** Polls until `node` holds every key (with `value`), for at most `ms`; returns the time it took or undefined. */
  async function allArrive(node: NodeHandle, keys: string[], value: string, ms: number): Promise<number | undefined> {
    const started = Date.now();
    while (Date.now() - started < ms) {
      const got = await Promise.all(keys.map((k) => localValues(clients, node, k).catch(() => undefined)));
      if (got.every((v) => v?.includes(value))) return Date.now() - started;
      await sleep(50);
    }
    return undefined;
  }

  it('delivers to a target that is back while another target stays paused', async () => {
    const [a, slow, back] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    // The storage lists hint targets in id order, so the paused one (n2) comes first.
    expect([slow.id, back.id]).toEqual(['n2', 'n3']);
    const keys = Array.from({ length: 10 }, (_, i) => `hinted-${i}`);
    slow.pause();
    back.pause();
    let backAfterMs: number | undefined;
    try {
      // w=1: n1's own copy answers; the items sent to n2 and n3 expire after 600 ms, so only
      // hints can bring these values to them.
      for (const key of keys) await clients.of(a).kv.put({ key: enc(key), value: enc('v'), w: 1, timeoutMs: 600 });
      await sleep(1000);
      expect((await clients.of(a).admin.status({})).hintsPending).toBe(BigInt(2 * keys.length));
      back.resume();
      backAfterMs = await allArrive(back, keys, 'v', 6000);
      process.stdout.write(`hints reached the resumed n3 ${backAfterMs ?? 'never (6 s)'} ms after SIGCONT, with n2 still paused\n`);
    } finally {
      slow.resume();
      back.resume();
    }
    expect(backAfterMs).toBeDefined();
    expect(backAfterMs!).toBeLessThan(2000);
    // The slow target gets its hints too, once it answers.
    const slowAfterMs = await allArrive(slow, keys, 'v', 20_000);
    process.stdout.write(`hints reached n2 ${slowAfterMs ?? 'never (20 s)'} ms after its SIGCONT\n`);
    expect(slowAfterMs).toBeDefined();
  });
});

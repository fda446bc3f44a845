// Sessions against real nodes: three nodes (n=3, r=2, w=2) with node-to-node traffic through fault
// proxies. Node C is cut off from the others, so a write acknowledged by A and B misses it, and a
// read at R = 1 coordinated by C answers from C alone. A plain client then reads its own write as
// absent (it goes back); a client with `session` on reads it again at A, and once A is paused too
// (SIGSTOP) it fails with StaleReadError instead of answering with C's older state.
import { startCluster, type Cluster } from '@quorumkv/harness';
import { createClient, StaleReadError, type QuorumKvClient } from '../src/node.js';

const [A, B, C] = [0, 1, 2];
let cluster: Cluster;
const opened: QuorumKvClient[] = [];

/** Knows A then C only, no ring, no hedges: a fresh client's first request goes to A (ties go to the first), the next one to C (unmeasured, so cheapest). */
function open(session: boolean): QuorumKvClient {
  const c = createClient({ nodes: [cluster.addresses[A]!, cluster.addresses[C]!], routing: false, hedge: false, timeoutMs: 3_000, session });
  opened.push(c);
  return c;
}

function isolate(node: number, fault: { block: 'refuse' } | undefined): void {
  for (const other of [A, B, C].filter((i) => i !== node)) {
    cluster.setLinkFault(node, other, fault);
    cluster.setLinkFault(other, node, fault);
  }
}

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 172, proxied: true, extraArgs: ['--hint-delivery-interval-ms', '250'] });
}, 60_000);

afterAll(async () => {
  for (const c of opened) c.close();
  await cluster?.stop();
});

describe('client sessions with a replica cut off and one paused', () => {
  const plain = (): QuorumKvClient => opened[0]!;
  const session = (): QuorumKvClient => opened[1]!;

  it('a plain read at the stale replica goes back; a session read never does', async () => {
    open(false);
    open(true);
    isolate(C, { block: 'refuse' });
    const put = await plain().put('plain-key', 'v1');
    expect(put.receipt.node).toBe(cluster.addresses[A]);
    const back = await plain().getString('plain-key', { r: 1 });
    // The plain client's own acknowledged write, read as absent: it went back.
    expect({ node: back.receipt.node, found: back.found }).toEqual({ node: cluster.addresses[C], found: false });

    await session().put('session-key', 'v1');
    const first = await session().getString('session-key', { r: 1 });
    expect({ node: first.receipt.node, values: first.values }).toEqual({ node: cluster.addresses[A], values: ['v1'] });
    for (let i = 0; i < 10; i++) expect((await session().getString('session-key', { r: 1 })).values).toEqual(['v1']);
  }, 30_000);

  it('with the fresh replica paused too, a session read fails with StaleReadError instead of going back', async () => {
    cluster.nodes[A]!.pause();
    try {
      const err = await session().get('session-key', { r: 1, timeoutMs: 2_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StaleReadError);
      expect((err as StaleReadError).staleNodes).toContain(cluster.addresses[C]);
      // The plain client, same cluster, same moment: C's older state.
      expect((await plain().getString('plain-key', { r: 1, timeoutMs: 2_000 })).found).toBe(false);
    } finally {
      cluster.nodes[A]!.resume();
    }
  }, 30_000);

  it('after heal the hint reaches C, and session reads succeed again', async () => {
    isolate(C, undefined);
    let got: string[] = [];
    for (let i = 0; i < 60 && got[0] !== 'v1'; i++) {
      got = (await session().getString('session-key', { r: 1 }).catch(() => ({ values: [] as string[] }))).values;
      if (got[0] !== 'v1') await new Promise((r) => setTimeout(r, 250));
    }
    expect(got).toEqual(['v1']);
    const atC = createClient({ nodes: [cluster.addresses[C]!], routing: false, timeoutMs: 3_000 });
    opened.push(atC);
    let local = false;
    for (let i = 0; i < 60 && !local; i++) {
      local = (await atC.admin.localGet('session-key')).found;
      if (!local) await new Promise((r) => setTimeout(r, 250));
    }
    expect(local).toBe(true);
  }, 40_000);
});

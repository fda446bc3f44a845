// A client with `session` on, against scripted nodes: a stale node's answer is read again
// elsewhere, never returned; without the option the same answer is returned as it is.
import { create } from '@bufbuild/protobuf';
import { GetResponseSchema, PutResponseSchema } from '@quorumkv/protocol';
import { encodeBoundContext, versionVector } from '@quorumkv/vclock';
import { createClient } from '../client.js';
import { StaleReadError } from '../errors.js';
import { fakeCluster, type Script } from '../test-support/fake-cluster.js';
import type { TransportFactory } from '../transport.js';

const context = (counter: number): Uint8Array => encodeBoundContext(7n, versionVector({ n1: counter }));
const value = (s: string): { value: Uint8Array; timestampMs: bigint } => ({ value: new TextEncoder().encode(s), timestampMs: 0n });
/** A node that acknowledges puts with version 2 and answers gets with `version` (and its value). */
const node = (version: number): Script => async (method) =>
  method === 'Put'
    ? create(PutResponseSchema, { context: context(2) })
    : create(GetResponseSchema, { found: true, siblings: [value(`v${version}`)], context: context(version) });

function client(factory: TransportFactory, session: boolean) {
  // A frozen clock and no hedges: ties go to the earliest node, so the put and the first get go to s:1.
  return createClient({ nodes: ['s:1', 'f:1'], transport: factory, routing: false, hedge: false, random: () => 0, timeoutMs: 1000, now: () => 0, session });
}

describe('a client with session on', () => {
  it('reads its own write at another node when the first answer is older (a plain client reads the old value)', async () => {
    const plain = fakeCluster({ 's:1': node(1), 'f:1': node(2) });
    const p = client(plain.factory, false);
    await p.put('k', 'v2');
    expect((await p.getString('k')).values).toEqual(['v1']);

    const sessioned = fakeCluster({ 's:1': node(1), 'f:1': node(2) });
    const s = client(sessioned.factory, true);
    await s.put('k', 'v2');
    const got = await s.getString('k');
    expect(got.values).toEqual(['v2']);
    expect(got.receipt.node).toBe('f:1');
    expect(sessioned.calls).toEqual(['s:1 Put', 's:1 Get', 'f:1 Get']);
  });

  it('fails with StaleReadError rather than go back when every node is behind, and keeps reads monotonic', async () => {
    const { factory } = fakeCluster({ 's:1': node(1), 'f:1': node(1) });
    const s = client(factory, true);
    await s.put('k', 'v2');
    await expect(s.get('k')).rejects.toBeInstanceOf(StaleReadError);
    // A key the session never wrote: the first read sets its floor, and a later older one is refused.
    let version = 3;
    const moving = fakeCluster({ 's:1': async (m, i) => node(version)(m, i, undefined, undefined), 'f:1': async (m, i) => node(version)(m, i, undefined, undefined) });
    const m = client(moving.factory, true);
    expect((await m.getString('other')).values).toEqual(['v3']);
    version = 2;
    await expect(m.get('other')).rejects.toBeInstanceOf(StaleReadError);
    version = 4;
    expect((await m.getString('other')).values).toEqual(['v4']);
  });
});

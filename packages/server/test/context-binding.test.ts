// Issue #13, sequence 5: a causal context is bound to its bucket and key. A Put or Delete with a
// context another key handed out is INVALID_ARGUMENT naming `context`, and writes nothing.
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason } from '@quorumkv/protocol';
import type { NodeHandle } from '@quorumkv/harness';
import { encodeKeyContext } from '../src/record/key-context.js';
import { enc, localRecord, readValues, useCluster } from './support.js';

describe('contexts are bound to their key', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 205, extraArgs: ['--auto-create-buckets', 'true'] });

  const refusal = (p: Promise<unknown>): Promise<ConnectError | undefined> => p.then(() => undefined, (e: unknown) => ConnectError.from(e));

  it('refuses a put and a delete carrying another key’s context and leaves the key as it was', async () => {
    const [, b] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await clients.of(b).kv.put({ key: enc('k1'), value: enc('y'), w: 3 });
    const first = await clients.of(b).kv.put({ key: enc('k2'), value: enc('one'), w: 3 });
    const second = await clients.of(b).kv.put({ key: enc('k2'), value: enc('two'), context: first.context, w: 3 });

    const put = await refusal(clients.of(b).kv.put({ key: enc('k1'), value: enc('x'), context: second.context, w: 3 }));
    expect(put?.code).toBe(Code.InvalidArgument);
    expect(put?.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: ErrorReason.INVALID_FIELD, field: 'context' });
    expect(put?.rawMessage).toMatch(/context/);
    const del = await refusal(clients.of(b).kv.delete({ key: enc('k1'), context: second.context, w: 3 }));
    expect(del?.code).toBe(Code.InvalidArgument);
    expect(del?.rawMessage).toMatch(/context/);
    // Same key, another bucket: refused too.
    const otherBucket = await refusal(clients.of(b).kv.put({ bucket: 'other', key: enc('k2'), value: enc('z'), context: second.context }));
    expect(otherBucket?.code).toBe(Code.InvalidArgument);
    expect(await readValues(clients, b, 'k1', 3)).toEqual(['y']);

    // The key's own context still works, from a get as from a put.
    const read = await clients.of(b).kv.get({ key: enc('k1'), r: 3 });
    await clients.of(b).kv.put({ key: enc('k1'), value: enc('x'), context: read.context, w: 3 });
    expect(await readValues(clients, b, 'k1', 3)).toEqual(['x']);
  });

  it('refuses a context whose counter leaves no room for the next dot, and the key stays writable', async () => {
    const [, b] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    await clients.of(b).kv.put({ key: enc('k3'), value: enc('one'), w: 3 });
    const actor = /\{([^:]+):/.exec((await localRecord(clients, b, 'k3'))!.clock)![1]!;
    const forged = encodeKeyContext(enc('default'), enc('k3'), new Map([[actor, Number.MAX_SAFE_INTEGER - 1]]));
    const put = await refusal(clients.of(b).kv.put({ key: enc('k3'), value: enc('two'), context: forged, w: 3 }));
    expect(put?.code).toBe(Code.InvalidArgument);
    expect(put?.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: ErrorReason.INVALID_FIELD, field: 'context' });
    await clients.of(b).kv.put({ key: enc('k3'), value: enc('three'), w: 3 });
    expect(await readValues(clients, b, 'k3', 3)).toEqual(['one', 'three']);
  });
});

// Issue #13, "dot reuse after a crash": a coordinator whose own commit failed after replication had
// begun (its store is full) has sent out dots it does not hold. After kill -9 and a restart it must
// never mint those dots again. n1 runs with a 1 MiB store; n2 and n3 have room.
import type { NodeHandle } from '@quorumkv/harness';
import { enc, readValues, waitAllUp, useCluster } from './support.js';

describe('epochs across a failed commit and a crash', () => {
  const { clients, nodes } = useCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 222, nodeArgs: { 0: ['--map-size-bytes', String(1024 * 1024)] } });

  it('mints no dot twice after a failed local commit and kill -9', async () => {
    const [a] = nodes() as [NodeHandle, NodeHandle, NodeHandle];
    const filler = new Uint8Array(48 * 1024).fill(7);
    let full = false;
    for (let i = 0; i < 60 && !full; i++) {
      const put = await clients.of(a).kv.put({ key: enc(`fill-${i}`), value: filler, w: 2 });
      full = put.receipt!.replicas.find((r) => r.nodeId === a.id)?.ok === false;
    }
    expect(full).toBe(true);
    // Still full: this write reaches n2 and n3 but not n1's own store.
    const x = await clients.of(a).kv.put({ key: enc('k2'), value: enc('x'), w: 2 });
    expect(x.receipt!.replicas.find((r) => r.nodeId === a.id)?.ok).toBe(false);

    await a.kill('SIGKILL');
    clients.reset(a);
    a.start(['--map-size-bytes', String(64 * 1024 * 1024)]);
    await a.waitReady();
    await waitAllUp(clients, nodes());
    await clients.of(a).kv.put({ key: enc('k2'), value: enc('y'), w: 2 });
    // Two blind writes: two siblings on every read, none lost to a reused dot.
    expect(await readValues(clients, a, 'k2', 3)).toEqual(['x', 'y']);
  });
});

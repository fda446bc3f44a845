// A fresh node's first key too long for the key hasher's scratch buffer (1 KiB framed: the default
// 1,024-byte key limit is above it) was hashed over the old buffer and stored in a wrong partition:
// the write was acknowledged, and no read, local or quorum, ever found it.
import { enc, useCluster } from './support.js';

const HOST_BASE = 99;

describe('the first long key a node sees', () => {
  const { clients, nodes } = useCluster({ nodes: 1, hostBase: HOST_BASE });

  it('is stored where reads look', async () => {
    const kv = clients.of(nodes()[0]!).kv;
    const admin = clients.of(nodes()[0]!).admin;
    const key = enc('first-'.padEnd(1024, 'x'));
    await kv.put({ key, value: enc('v') });
    expect((await admin.localGet({ key })).found).toBe(true);
    expect((await kv.get({ key })).siblings.map((s) => s.value)).toEqual([enc('v')]);
  });
});

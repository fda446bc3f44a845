import { startCluster } from '@quorumkv/harness';
import { createClient as nodeClient } from '@quorumkv/client/node';
import { open } from 'lmdb';
import { mkdtempSync, readdirSync } from 'node:fs';
const root = mkdtempSync('/tmp/kcd-');
const c = await startCluster({ nodes: 1, hostBase: 99, n: 1, r: 1, w: 1, dataDir: root, extraArgs: ['--max-key-bytes', '1640'], logLevel: 'warn' });
const addr = c.nodes[0].address;
const cl = nodeClient({ nodes: [addr] });
for (let i = 0; i < 2; i++) {
  const key = `${i}-`.padEnd(1024, 'z');
  await cl.put(key, 'v');
  console.log(i, (await cl.admin.localGet(key)).found);
}
cl.close(); await c.stop();
console.log(readdirSync(root + '/n1'));

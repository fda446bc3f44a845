// `quorumkv-server` with no configuration at all, in an empty folder, serves puts and gets alone
// with its data in ./data.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHandle } from '@quorumkv/harness';
import { Clients, dec, enc } from './support.js';

it('serves alone with no configuration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qkv-single-'));
  // No flags: the server's defaults, 127.0.0.1:7070 and ./data. Should another process hold 7070,
  // the node exits and waitReady fails at once rather than talking to that process.
  const node = new NodeHandle({ id: 'solo', host: '127.0.0.1', port: 7070, args: [], cwd: dir });
  const clients = new Clients();
  try {
    node.start();
    await node.waitReady(15_000);
    // Someone opening the address in a browser learns what the port serves (and that no dashboard is).
    const home = await fetch(`${node.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toMatch(/GET \/readyz[\s\S]*No web dashboard is served/);
    const kv = clients.of(node).kv;
    const put = await kv.put({ key: enc('solo'), value: enc('works') });
    expect(put.receipt!.required).toBe(1);
    expect((await kv.get({ key: enc('solo') })).siblings.map((s) => dec(s.value))).toEqual(['works']);
    expect(existsSync(join(dir, 'data', 'data.mdb'))).toBe(true);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nserver output:\n${node.logs()}`);
  } finally {
    clients.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

// `quorumkv-server` with no configuration at all, in an empty folder, serves puts and gets alone
// with its data in ./data.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serverBin } from '../../../tools/cluster-harness/cluster.js';
import { Clients, dec, enc, eventually } from './support.js';

it('serves alone with no configuration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qkv-single-'));
  // The default address is 127.0.0.1:7070; a test must not depend on it being free.
  expect(await freePort('127.0.0.1')).toBeGreaterThan(0);
  const child = spawn(process.execPath, [serverBin], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const node = { address: '127.0.0.1:7070', url: 'http://127.0.0.1:7070' };
  const clients = new Clients();
  try {
    expect(await eventually(async () => (await fetch(`${node.url}/readyz`)).status === 200, 15_000)).toBe(true);
    // Someone opening the address in a browser learns what the port serves (and that no dashboard is).
    const home = await fetch(`${node.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toMatch(/GET \/readyz[\s\S]*No web dashboard is served/);
    const kv = clients.of(node as never).kv;
    const put = await kv.put({ key: enc('solo'), value: enc('works') });
    expect(put.receipt!.required).toBe(1);
    expect((await kv.get({ key: enc('solo') })).siblings.map((s) => dec(s.value))).toEqual(['works']);
    expect(existsSync(join(dir, 'data', 'data.mdb'))).toBe(true);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nserver output:\n${out}`);
  } finally {
    clients.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

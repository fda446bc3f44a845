// `quorumkv dev --nodes 3`: real server processes come up, the cluster verifies healthy, and
// SIGINT stops every child.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@quorumkv/client/node';
import { cliBin, runCli } from './run-cli.js';

interface DevReady {
  ready: boolean;
  nodes: { id: string; address: string; dataDir: string; pid: number }[];
  secure?: { ca: string; token: string; tokenFile: string };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let dev: ChildProcess | undefined;
let dataDir = '';

afterAll(() => {
  if (dev && dev.exitCode === null) dev.kill('SIGKILL');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Runs `quorumkv dev` with `flags` until its ready document; `stop()` sends SIGINT and returns the exit code and stderr. */
async function startDev(flags: string[]): Promise<{ ready: DevReady; basePort: number; stop: () => Promise<{ code: number | null; stderr: string }> }> {
  dataDir = mkdtempSync(join(tmpdir(), 'qkv-dev-'));
  // A random high base port keeps parallel runs apart.
  const basePort = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [cliBin, 'dev', '--nodes', '3', '--base-port', String(basePort), '--data-dir', dataDir, '--partitions', '64', '--json', ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  dev = child;
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ready = await new Promise<DevReady>((done, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      try {
        done(JSON.parse(stdout) as DevReady);
      } catch {
        // not the whole document yet
      }
    });
    void exited.then((code) => fail(new Error(`dev exited early (${code}): ${stderr}`)));
  });
  return {
    ready,
    basePort,
    stop: async () => {
      child.kill('SIGINT');
      return { code: await exited, stderr };
    },
  };
}

/** `cluster verify` until healthy (gossip needs a moment to see every member alive). */
async function verifyHealthy(args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
  let verify = await runCli([...args, 'cluster', 'verify']);
  for (let i = 0; i < 50 && verify.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    verify = await runCli([...args, 'cluster', 'verify']);
  }
  return verify;
}

it('starts a 3-node cluster, verifies healthy, and stops every node on SIGINT', async () => {
  const { ready, basePort, stop } = await startDev([]);
  expect(ready.ready).toBe(true);
  expect(ready.nodes.map((n) => n.address)).toEqual([0, 1, 2].map((i) => `127.0.0.1:${basePort + i}`));
  expect(ready.nodes.map((n) => n.dataDir)).toEqual(['node-1', 'node-2', 'node-3'].map((id) => join(dataDir, id)));
  for (const n of ready.nodes) expect(alive(n.pid)).toBe(true);

  const verify = await verifyHealthy(['--node', ready.nodes[0]!.address]);
  expect(verify.stdout).toMatch(/^healthy/);
  expect(verify.code).toBe(0);

  const stopped = await stop();
  expect(stopped.code).toBe(0);
  expect(stopped.stderr).toMatch(/SIGINT: stopping 3 nodes/);
  for (const n of ready.nodes) expect(alive(n.pid)).toBe(false);
}, 60_000);

it('--secure: TLS, mutual TLS and a token; the printed CA and token reach it, nothing else does', async () => {
  rmSync(dataDir, { recursive: true, force: true });
  const { ready, stop } = await startDev(['--secure']);
  const secure = ready.secure!;
  expect(secure.ca).toBe(join(dataDir, 'tls', 'ca.pem'));
  const node = ['--node', ready.nodes[0]!.address];
  const verify = await verifyHealthy([...node, '--ca', secure.ca, '--token', secure.token]);
  expect(verify.stdout).toMatch(/^healthy/);
  expect((await runCli([...node, '--ca', secure.ca, 'cluster', 'verify'])).code).toBe(4);
  expect((await runCli([...node, '--timeout', '2000', '--token', secure.token, 'cluster', 'verify'])).code).toBe(3);
  expect((await stop()).code).toBe(0);
  for (const n of ready.nodes) expect(alive(n.pid)).toBe(false);
}, 60_000);

it('dev add-node: a fourth node joins the running dev cluster by itself and receives its share of the data', async () => {
  rmSync(dataDir, { recursive: true, force: true });
  const { ready, basePort, stop } = await startDev([]);
  const node = ['--node', ready.nodes[0]!.address];
  await verifyHealthy(node);
  const client = createClient({ nodes: [ready.nodes[0]!.address], timeoutMs: 10_000 });
  await Promise.all(Array.from({ length: 200 }, (_, i) => client.put(`k${i}`, `v${i}`, { w: 2 })));

  const add = spawn(process.execPath, [cliBin, 'dev', 'add-node', '--base-port', String(basePort), '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stdout = '';
  let stderr = '';
  add.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => add.once('exit', (code) => done(code)));
  try {
    const added = await new Promise<{ ready: boolean; node: { id: string; address: string; dataDir: string; partitions: number; pid: number } }>((done, fail) => {
      add.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        try {
          done(JSON.parse(stdout));
        } catch {
          // not the whole document yet
        }
      });
      void exited.then((code) => fail(new Error(`add-node exited early (${code}): ${stderr}`)));
    });
    expect(added.node).toMatchObject({ id: 'node-4', address: `127.0.0.1:${basePort + 3}`, dataDir: join(dataDir, 'node-4') });
    expect(added.node.partitions).toBeGreaterThan(0);
    // The change finishes and node-4 holds its own copies of the keys it now replicates.
    let keys = 0;
    for (let i = 0; i < 240 && keys === 0; i++) {
      const ring = await client.admin.ring().catch(() => undefined);
      if (ring !== undefined && ring.transition === undefined) keys = (await client.admin.status({ node: added.node.address })).keys;
      if (keys === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(keys).toBeGreaterThan(0);
    expect((await runCli(['--node', added.node.address, 'get', 'k7'])).stdout).toMatch(/v7/);
    add.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(alive(added.node.pid)).toBe(false);
  } finally {
    client.close();
    if (add.exitCode === null) add.kill('SIGKILL');
    expect((await stop()).code).toBe(0);
  }
}, 120_000);

// `quorumkv dev --nodes 3`: real server processes come up, the cluster verifies healthy, and
// SIGINT stops every child.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliBin, runCli } from './run-cli.js';

interface DevReady {
  ready: boolean;
  nodes: { id: string; address: string; dataDir: string; pid: number }[];
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

it('starts a 3-node cluster, verifies healthy, and stops every node on SIGINT', async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'qkv-dev-'));
  // A random high base port keeps parallel runs apart.
  const basePort = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [cliBin, 'dev', '--nodes', '3', '--base-port', String(basePort), '--data-dir', dataDir, '--partitions', '64', '--json'], {
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

  expect(ready.ready).toBe(true);
  expect(ready.nodes.map((n) => n.address)).toEqual([0, 1, 2].map((i) => `127.0.0.1:${basePort + i}`));
  expect(ready.nodes.map((n) => n.dataDir)).toEqual(['node-1', 'node-2', 'node-3'].map((id) => join(dataDir, id)));
  for (const n of ready.nodes) expect(alive(n.pid)).toBe(true);

  // Gossip needs a moment to see every member alive.
  let verify = await runCli(['--node', ready.nodes[0]!.address, 'cluster', 'verify']);
  for (let i = 0; i < 50 && verify.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
    verify = await runCli(['--node', ready.nodes[0]!.address, 'cluster', 'verify']);
  }
  expect(verify.stdout).toMatch(/^healthy/);
  expect(verify.code).toBe(0);

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(stderr).toMatch(/SIGINT: stopping 3 nodes/);
  for (const n of ready.nodes) expect(alive(n.pid)).toBe(false);
}, 60_000);

// The harness against real server processes: readiness, faults from outside (kill -9, SIGSTOP,
// restart, the proxy), crash reports, failed starts, kept data and logs, and that stop() leaves no
// process and no temporary data behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultProxy, HarnessError, NodeHandle, freePort, locateServer, startCluster, stopProcess, type Cluster } from '@quorumkv/harness';

const HOST_BASE = 141;

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function ready(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) })).status === 200;
  } catch {
    return false;
  }
}

describe('startCluster', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('starts ready nodes on their own addresses, survives kill -9, SIGSTOP and restart, and stop() leaves nothing', async () => {
    const exits: string[] = [];
    cluster = await startCluster({ nodes: 2, hostBase: HOST_BASE, partitions: 16, proxied: true, onExit: (id, _code, signal) => exits.push(`${id}:${signal}`) });
    const [a, b] = cluster.nodes as [NodeHandle, NodeHandle];
    expect(cluster.addresses).toEqual([`127.0.0.${HOST_BASE}:${a.port}`, `127.0.0.${HOST_BASE + 1}:${b.port}`]);
    expect(cluster.initialCluster).toBe(`n1=${cluster.proxies[0]!.address},n2=${cluster.proxies[1]!.address}`);
    for (const n of cluster.nodes) {
      expect(await ready(n.url)).toBe(true);
      expect(alive(n.pid)).toBe(true);
    }

    a.pause();
    expect(await ready(a.url, 300)).toBe(false);
    a.resume();
    expect(await ready(a.url, 5_000)).toBe(true);

    // The peers talk through the proxies (gossip pings every 50 ms); cutting them leaves both serving.
    let cut = 0;
    for (let i = 0; i < 100 && cut === 0; i++) {
      cut = cluster.proxies.reduce((n, p) => n + p.cutAll(), 0);
      if (cut === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(cut).toBeGreaterThan(0);
    expect(await ready(b.url)).toBe(true);

    const before = a.pid;
    await a.kill();
    expect(a.running).toBe(false);
    expect(alive(before)).toBe(false);
    await a.restart();
    expect(a.pid).not.toBe(before);
    expect(await ready(a.url)).toBe(true);
    expect(exits).toEqual([]); // the harness's own kills are not crashes

    // A crash the harness did not cause is reported.
    const crashed = new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (exits.length > 0) {
          clearInterval(poll);
          done();
        }
      }, 20);
    });
    process.kill(b.pid!, 'SIGKILL');
    await crashed;
    expect(exits).toEqual(['n2:SIGKILL']);

    const root = cluster.dataDir;
    const pids = cluster.nodes.map((n) => n.pid);
    expect(existsSync(join(root, 'n1'))).toBe(true);
    await cluster.stop();
    await cluster.stop(); // twice is fine
    expect(pids.map(alive)).toEqual([false, false]);
    expect(existsSync(root)).toBe(false);
    cluster = undefined;
  }, 60_000);

  it('fails with the node log when a node cannot start, and stops the others', async () => {
    const [h1, h2] = [`127.0.0.${HOST_BASE + 2}`, `127.0.0.${HOST_BASE + 3}`];
    const port = await freePort(h1);
    const squatter = createServer((socket) => socket.destroy()); // n1 dials n2 here: hang up
    await new Promise<void>((r) => squatter.listen(port + 1, h2, r)); // n2's port is taken
    let caught: unknown;
    try {
      cluster = await startCluster({ nodes: 2, hosts: [h1, h2], basePort: port, partitions: 16 });
    } catch (err) {
      caught = err;
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    expect(caught).toBeInstanceOf(HarnessError);
    expect(caught).toMatchObject({ reason: 'exited', nodeId: 'n2' });
    expect((caught as Error).message).toMatch(/EADDRINUSE/);
    // n1 started fine and was stopped: its port is free again.
    const probe = createServer();
    await new Promise<void>((r, fail) => probe.once('error', fail).listen(port, h1, r));
    await new Promise((r) => probe.close(r));
  }, 30_000);

  it('keeps a given data dir and writes a log file per node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qkv-harness-test-'));
    try {
      cluster = await startCluster({ nodes: 1, hostBase: HOST_BASE + 5, partitions: 16, dataDir: dir, logFiles: true, logLevel: 'info', idPrefix: 'node-' });
      const node = cluster.nodes[0]!;
      expect(node.id).toBe('node-1');
      expect(node.dataDir).toBe(join(dir, 'node-1'));
      await cluster.stop();
      cluster = undefined;
      expect(existsSync(join(dir, 'node-1'))).toBe(true);
      expect(readFileSync(join(dir, 'node-1.log'), 'utf8')).toBe(`${node.logs()}\n`);
      expect(node.logs()).not.toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('process helpers', () => {
  it('NodeHandle runs a server with flags of its own', async () => {
    const host = `127.0.0.${HOST_BASE + 7}`;
    const dir = mkdtempSync(join(tmpdir(), 'qkv-harness-node-'));
    const node = new NodeHandle({ id: 'solo', host, port: await freePort(host), args: [], cwd: dir, env: { QKV_LISTEN: '' } });
    try {
      node.start(['--listen', `${host}:${node.port}`, '--log-level', 'warn']);
      await node.waitReady();
      expect(() => node.start()).toThrow(expect.objectContaining({ reason: 'already-running' }));
      expect(existsSync(join(dir, 'data'))).toBe(true); // the server's default data dir, under cwd
    } finally {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('stopProcess SIGKILLs a process that ignores SIGTERM once the grace has passed', async () => {
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise((r) => child.stdout!.once('data', r));
    const t0 = Date.now();
    await stopProcess(child, 300);
    expect(child.signalCode).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('freePort hands out a port that can be bound, and FaultProxy.start listens on one', async () => {
    const host = `127.0.0.${HOST_BASE + 8}`;
    const port = await freePort(host);
    const server = createServer();
    await new Promise<void>((r) => server.listen(port, host, r));
    const proxy = await FaultProxy.start(host, { host, port });
    expect(proxy.port).not.toBe(port);
    await proxy.close();
    await new Promise((r) => server.close(r));
  });

  it('locateServer finds the built server, or honours QKV_SERVER_BIN', () => {
    expect(locateServer()?.path).toMatch(/quorumkv-server\.js$/);
    expect(locateServer({ QKV_SERVER_BIN: '/nonexistent/quorumkv-server' })).toBeUndefined();
  });
});

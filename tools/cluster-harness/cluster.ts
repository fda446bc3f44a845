// Starts real quorumkv-server processes on 127.0.0.x loopback addresses for multi-process tests.
// Every node gets its own address, a free port and a temporary data dir; everything it starts is
// killed by stop() (and on process exit, should a test crash).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaultProxy } from './fault-proxy.js';

export { FaultProxy } from './fault-proxy.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Path of the built server binary; `QKV_SERVER_BIN` runs the tests against another build (e.g. the old code). */
export const serverBin = process.env['QKV_SERVER_BIN'] ?? resolve(here, '../../packages/server/dist/bin/quorumkv-server.js');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Finds a port that is free on `host` right now. */
export async function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

export interface StartClusterOptions {
  /** How many nodes. */
  nodes: number;
  /** Partitions Q (default 64: small rings start fast). */
  partitions?: number;
  n?: number;
  r?: number;
  w?: number;
  /** Extra flags for every node. */
  extraArgs?: string[];
  /** Extra flags for single nodes, by index (after `extraArgs`, so they win). */
  nodeArgs?: Record<number, string[]>;
  /** Last octet of the first node's address: nodes use 127.0.0.<base + i>. Default 11. */
  hostBase?: number;
  /** Print node output to this process's stderr (debugging). */
  verbose?: boolean;
  /**
   * Put a {@link FaultProxy} in front of every node for node-to-node traffic: nodes advertise the
   * proxy's address to each other, while clients use the node's own address.
   */
  proxied?: boolean;
}

/** One server process of a test cluster. */
export class NodeHandle {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly output: string[] = [];

  constructor(
    readonly id: string,
    readonly host: string,
    readonly port: number,
    readonly dataDir: string,
    private readonly baseArgs: string[],
    private readonly verbose: boolean,
  ) {}

  /** host:port of the node. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Base URL for HTTP clients. */
  get url(): string {
    return `http://${this.address}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed. */
  logs(): string {
    return this.output.join('');
  }

  /** Starts the process (again), optionally with extra flags for this run. */
  start(extraArgs: string[] = []): void {
    if (this.running) throw new Error(`${this.id} is already running`);
    const child = spawn(process.execPath, [serverBin, ...this.baseArgs, ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    live.add(child);
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString());
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
      if (this.verbose) process.stderr.write(`[${this.id}] ${chunk.toString()}`);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((done) => child.once('exit', () => { live.delete(child); done(); }));
    this.child = child;
  }

  /** Resolves when /readyz answers 200. */
  async waitReady(timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`${this.id} exited while starting:\n${this.logs()}`);
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.id} not ready after ${timeoutMs} ms:\n${this.logs()}`);
  }

  /** Sends a signal (default SIGKILL) and, for terminating signals, waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child!.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A running test cluster. */
export interface Cluster {
  nodes: NodeHandle[];
  /** With `proxied`: the proxy in front of each node (same order as `nodes`). */
  proxies: FaultProxy[];
  /** `id=host:port,...` of every node. */
  initialCluster: string;
  /** Stops every node and removes the data dirs. */
  stop(): Promise<void>;
}

/** Starts `nodes` servers forming one cluster and waits until all are ready. */
export async function startCluster(options: StartClusterOptions): Promise<Cluster> {
  const base = options.hostBase ?? 11;
  const specs: { id: string; host: string; port: number; advertise: string }[] = [];
  const proxies: FaultProxy[] = [];
  for (let i = 0; i < options.nodes; i++) {
    const host = `127.0.0.${base + i}`;
    const port = await freePort(host);
    let advertise = `${host}:${port}`;
    if (options.proxied) {
      const proxy = new FaultProxy(host, await freePort(host), { host, port });
      await proxy.listen();
      proxies.push(proxy);
      advertise = proxy.address;
    }
    specs.push({ id: `n${i + 1}`, host, port, advertise });
  }
  const initialCluster = specs.map((s) => `${s.id}=${s.advertise}`).join(',');
  const root = mkdtempSync(join(tmpdir(), 'qkv-cluster-'));
  const nodes = specs.map((s, i) => {
    const args = [
      '--node-id', s.id,
      '--listen', `${s.host}:${s.port}`,
      '--advertise', s.advertise,
      '--data-dir', join(root, s.id),
      '--initial-cluster', initialCluster,
      '--partitions', String(options.partitions ?? 64),
      '--log-level', options.verbose ? 'info' : 'warn',
      ...(options.n !== undefined ? ['--n', String(options.n)] : []),
      ...(options.r !== undefined ? ['--r', String(options.r)] : []),
      ...(options.w !== undefined ? ['--w', String(options.w)] : []),
      ...(options.extraArgs ?? []),
      ...(options.nodeArgs?.[i] ?? []),
    ];
    return new NodeHandle(s.id, s.host, s.port, join(root, s.id), args, options.verbose ?? false);
  });
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(proxies.map((p) => p.close()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (const node of nodes) node.start();
    await Promise.all(nodes.map((n) => n.waitReady()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes, proxies, initialCluster, stop };
}

// A local cluster of real quorumkv-server processes on 127.0.0.1 (ports base, base+1, ...), the
// same topology as docker-compose.yml, for development.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ServerCommand } from './server-locator.js';

/** Options of {@link startDevCluster}. */
export interface DevClusterOptions {
  /** The server executable (see `locateServer`). */
  readonly server: ServerCommand;
  /** Number of nodes. Default 3. */
  readonly nodes?: number;
  /** Port of node-1; node-k listens on basePort + k - 1. Default 7070. */
  readonly basePort?: number;
  /** Host to listen and advertise on. Default 127.0.0.1. */
  readonly host?: string;
  /** Parent of the nodes' data dirs (node-N below it). Default ./data/dev. */
  readonly dataDir?: string;
  /** Extra flags for every node (e.g. --partitions 64). */
  readonly extraArgs?: readonly string[];
  /** How long to wait for every node's /readyz, in ms. Default 30000. */
  readonly readyTimeoutMs?: number;
  /** Called with each line a node prints (default: lines go to data-dir/node-N.log only). */
  readonly onLog?: (nodeId: string, line: string) => void;
  /** Called when a node exits while the cluster is up. */
  readonly onExit?: (nodeId: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

/** One running node. */
export interface DevNode {
  readonly id: string;
  /** host:port */
  readonly address: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pid: number | undefined;
}

/** A running dev cluster. */
export interface DevCluster {
  readonly nodes: readonly DevNode[];
  /** SIGTERM to every node, SIGKILL after `graceMs`; resolves when all have exited. */
  stop(graceMs?: number): Promise<void>;
  /** Kills every node at once with SIGKILL (for process exit paths that cannot wait). */
  killNow(): void;
}

interface Running {
  readonly node: DevNode;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly log: WriteStream;
  readonly tail: string[];
}

async function waitReady(r: Running, deadline: number): Promise<void> {
  for (;;) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) {
      const last = r.tail.slice(-3).join(' | ');
      throw new Error(`${r.node.id} exited during startup (code ${r.child.exitCode ?? r.child.signalCode})${last ? `: ${last}` : ''}; log: ${r.node.logFile}`);
    }
    try {
      const res = await fetch(`http://${r.node.address}/readyz`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${r.node.id} not ready at http://${r.node.address}/readyz in time; log: ${r.node.logFile}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Starts the nodes, waits until every one answers /readyz, and returns the handle to stop them. */
export async function startDevCluster(options: DevClusterOptions): Promise<DevCluster> {
  const count = options.nodes ?? 3;
  const base = options.basePort ?? 7070;
  const host = options.host ?? '127.0.0.1';
  const root = resolve(options.dataDir ?? './data/dev');
  const ids = Array.from({ length: count }, (_, i) => `node-${i + 1}`);
  const initialCluster = ids.map((id, i) => `${id}=${host}:${base + i}`).join(',');
  mkdirSync(root, { recursive: true });

  const running: Running[] = ids.map((id, i) => {
    const address = `${host}:${base + i}`;
    const dataDir = join(root, id);
    mkdirSync(dataDir, { recursive: true });
    const logFile = join(root, `${id}.log`);
    const args = [
      ...options.server.args,
      '--node-id', id,
      '--listen', address,
      '--advertise', address,
      '--data-dir', dataDir,
      '--initial-cluster', initialCluster,
      ...(options.extraArgs ?? []),
    ];
    const child = spawn(options.server.command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logFile, { flags: 'a' });
    const tail: string[] = [];
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLog?.(id, line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.once('error', (err) => tail.push(`spawn failed: ${err.message}`));
    return { node: { id, address, dataDir, logFile, pid: child.pid }, child, exited, log, tail };
  });

  let stopping = false;
  const killNow = (): void => {
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  };
  const stop = async (graceMs = 10_000): Promise<void> => {
    stopping = true;
    for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
    const timer = setTimeout(killNow, graceMs);
    await Promise.all(running.map((r) => r.exited));
    clearTimeout(timer);
    await Promise.all(running.map((r) => new Promise((done) => r.log.end(done))));
  };

  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    await Promise.all(running.map((r) => waitReady(r, deadline)));
  } catch (err) {
    await stop(2000);
    throw err;
  }
  for (const r of running) {
    r.child.once('exit', (code, signal) => {
      if (!stopping) options.onExit?.(r.node.id, code, signal);
    });
  }
  return { nodes: running.map((r) => r.node), stop, killNow };
}

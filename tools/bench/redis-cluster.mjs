// Starts a Redis Cluster for the peer benchmark: 6 redis-server processes on 127.0.0.1 (3 masters,
// 3 replicas), each with its own temp dir, AOF on with `appendfsync everysec` and no RDB snapshots,
// joined with `redis-cli --cluster create --cluster-replicas 1`. stop() ends them by pid and
// removes the dirs.
import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePortPairs, removeDir, sleep, spawnTracked, stopProcesses, tempDir } from './peers-procs.mjs';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const BUS_OFFSET = 10_000;

const cli = async (port, ...args) => (await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], { timeout: 10_000 })).stdout;

/**
 * @param {{ nodes?: number, log?: (line: string) => void }} [o]
 * @returns {Promise<{ nodes: { host: string, port: number }[], pids: number[], settings: object, stop: () => Promise<void> }>}
 */
export async function startRedisCluster({ nodes = 6, log = () => {} } = {}) {
  const ports = await freePortPairs(nodes, BUS_OFFSET, HOST);
  const root = tempDir('qkv-peers-redis-');
  const procs = ports.map((port) => ({ port, dir: join(root, String(port)) }));
  for (const { dir } of procs) mkdirSync(dir);
  const children = procs.map(({ port, dir }) => {
    const logFd = openSync(join(dir, 'redis.log'), 'a');
    const child = spawnTracked(
      'redis-server',
      [
        '--bind', HOST, '--port', String(port), '--dir', dir, '--daemonize', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000',
        '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd);
    return child;
  });

  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      await stopProcesses(children);
      removeDir(root);
    })());

  try {
    for (const [i, { port, dir }] of procs.entries()) {
      for (let t = 0; ; t++) {
        if (children[i].exitCode !== null) throw new Error(`redis-server on ${port} exited with ${children[i].exitCode}: ${tail(join(dir, 'redis.log'))}`);
        try {
          if ((await cli(port, 'ping')).trim() === 'PONG') break;
        } catch {
          /* not listening yet */
        }
        if (t > 100) throw new Error(`redis-server on ${port} not answering after 10 s`);
        await sleep(100);
      }
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 60_000 });
    await waitClusterReady(ports);
    log(`redis cluster up on ${HOST}:${ports.join(',')} (pids ${children.map((c) => c.pid).join(' ')})`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    nodes: ports.map((port) => ({ host: HOST, port })),
    pids: children.map((c) => c.pid),
    settings: { processes: nodes, masters: nodes / 2, replicasPerMaster: 1, appendonly: 'yes', appendfsync: 'everysec', save: "''", clusterNodeTimeoutMs: 5000 },
    stop,
  };
}

/** Every node says cluster_state:ok, and every master has its replica linked (WAIT needs it). */
async function waitClusterReady(ports) {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const states = await Promise.all(
      ports.map(async (p) => {
        try {
          const info = await cli(p, 'cluster', 'info');
          const repl = await cli(p, 'info', 'replication');
          const ok = /cluster_state:ok/.test(info);
          const role = /role:(\w+)/.exec(repl)?.[1];
          const linked = role === 'master' ? /connected_slaves:[1-9]/.test(repl) : /master_link_status:up/.test(repl);
          return ok && linked;
        } catch {
          return false;
        }
      }),
    );
    if (states.every(Boolean)) return;
    if (performance.now() > deadline) throw new Error(`redis cluster not ready after 60 s (ok: ${states.join(',')})`);
    await sleep(200);
  }
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}

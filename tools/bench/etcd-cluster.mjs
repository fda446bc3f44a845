// Starts a 3-member etcd cluster for the peer benchmark on 127.0.0.1: free client and peer ports,
// a static --initial-cluster, one temp data dir per member, default durability (the WAL is fsynced
// before a write is acknowledged). stop() ends the members by pid and removes the dirs.
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@quorumkv/harness';
import { removeDir, sleep, spawnTracked, stopProcesses, tempDir } from './peers-procs.mjs';

const HOST = '127.0.0.1';

/**
 * @param {{ members?: number, log?: (line: string) => void }} [o]
 * @returns {Promise<{ endpoints: string[], pids: number[], settings: object, stop: () => Promise<void> }>}
 */
export async function startEtcdCluster({ members = 3, log = () => {} } = {}) {
  const specs = [];
  const taken = new Set();
  const port = async () => {
    for (;;) {
      const p = await freePort(HOST);
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  for (let i = 1; i <= members; i++) specs.push({ name: `e${i}`, client: await port(), peer: await port() });
  const root = tempDir('qkv-peers-etcd-');
  const initial = specs.map((s) => `${s.name}=http://${HOST}:${s.peer}`).join(',');
  const token = `qkv-peers-${process.pid}-${Date.now()}`;
  const children = specs.map((s) => {
    const dir = join(root, s.name);
    mkdirSync(dir);
    const logFd = openSync(join(root, `${s.name}.log`), 'a');
    const child = spawnTracked(
      'etcd',
      [
        '--name', s.name, '--data-dir', join(dir, 'data'),
        '--listen-client-urls', `http://${HOST}:${s.client}`, '--advertise-client-urls', `http://${HOST}:${s.client}`,
        '--listen-peer-urls', `http://${HOST}:${s.peer}`, '--initial-advertise-peer-urls', `http://${HOST}:${s.peer}`,
        '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', token,
        '--logger', 'zap', '--log-level', 'warn',
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
    const deadline = performance.now() + 60_000;
    for (const [i, s] of specs.entries()) {
      for (;;) {
        if (children[i].exitCode !== null) throw new Error(`etcd ${s.name} exited with ${children[i].exitCode}: ${tail(join(root, `${s.name}.log`))}`);
        try {
          const res = await fetch(`http://${HOST}:${s.client}/health`, { signal: AbortSignal.timeout(2000) });
          if (res.ok && (await res.json()).health === 'true') break;
        } catch {
          /* not up or no leader yet */
        }
        if (performance.now() > deadline) throw new Error(`etcd ${s.name} not healthy after 60 s`);
        await sleep(200);
      }
    }
    log(`etcd cluster up on ${HOST} client ports ${specs.map((s) => s.client).join(',')} (pids ${children.map((c) => c.pid).join(' ')})`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    endpoints: specs.map((s) => `http://${HOST}:${s.client}`),
    pids: children.map((c) => c.pid),
    settings: { members, durability: 'default (WAL fsync before ack)', snapshotCount: 'default', quotaBackendBytes: 'default' },
    stop,
  };
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}

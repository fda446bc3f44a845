// Starts a QuorumKV cluster of separate server processes on 127.0.0.x loopback addresses for the
// benchmarks (server, client YCSB, peers, profiling): free ports, one temporary data dir per node, and a stop()
// that ends each process it started by pid and removes the data dirs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep } from './peers-procs.mjs';

const serverBin = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/server/dist/bin/quorumkv-server.js');


/**
 * @param {object} o
 * @param {string[]} o.hosts one loopback address per node
 * @param {string[]} o.flags extra server flags for every node (quorum, durability...)
 * @returns {Promise<{ nodes: string[], pids: number[], stop: () => Promise<void> }>}
 */
export async function startLocalCluster({ hosts, flags }) {
  const specs = [];
  for (const [i, host] of hosts.entries()) specs.push({ id: `y${i + 1}`, host, port: await freePort(host) });
  const initial = specs.map((s) => `${s.id}=${s.host}:${s.port}`).join(',');
  const root = mkdtempSync(join(tmpdir(), 'qkv-ycsb-'));
  const procs = specs.map((s) =>
    spawn(process.execPath, [serverBin, '--node-id', s.id, '--listen', `${s.host}:${s.port}`, '--data-dir', join(root, s.id), '--initial-cluster', initial, ...flags], {
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  // Last resort if the benchmark dies without reaching stop(): these pids only.
  const killAll = () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };
  process.once('exit', killAll);
  // Interrupted (Ctrl-C, or killed by pid): stop the nodes and remove the data before leaving;
  // a second signal while stopping must not kill this process before its children.
  const onSignal = () => {
    stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let stopping;
  const stop = () => (stopping ??= stopNodes());
  const stopNodes = async () => {
    const exited = procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r))));
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    const timer = setTimeout(killAll, 10_000);
    await Promise.all(exited);
    clearTimeout(timer);
    rmSync(root, { recursive: true, force: true });
    process.removeListener('exit', killAll);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };

  try {
    for (const s of specs) {
      for (let t = 0; ; t++) {
        const proc = procs[specs.indexOf(s)];
        if (proc.exitCode !== null) throw new Error(`node ${s.id} exited with ${proc.exitCode}`);
        try {
          if ((await fetch(`http://${s.host}:${s.port}/readyz`)).ok) break;
        } catch {
          /* not listening yet */
        }
        if (t > 400) throw new Error(`node ${s.id} not ready after 20 s`);
        await sleep(50);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: specs.map((s) => `${s.host}:${s.port}`), pids: procs.map((p) => p.pid), stop };
}

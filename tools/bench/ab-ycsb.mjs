// Same-session A/B comparison of two server builds under one YCSB workload, alternating runs so
// machine noise hits both alike. Usage: node tools/bench/ab-ycsb.mjs <repoA> <repoB> [workload] [rounds]
// (each repo path is a checkout whose packages are built; each variant runs its own server and SDK).
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { runYcsb } from './ycsb.mjs';

const [repoA, repoB, workload = 'A', rounds = '2'] = process.argv.slice(2);
const load = (repo, path) => import(pathToFileURL(resolve(repo, path)).href);
const HOSTS = ['127.0.0.101', '127.0.0.102', '127.0.0.103'];

/**
 * The checkout's own launcher, so each variant runs its own server build: @quorumkv/harness's build,
 * or tools/bench/local-cluster.mjs in checkouts older than the harness package.
 */
async function launcher(repo) {
  if (existsSync(resolve(repo, 'packages/harness/dist/index.js'))) {
    const { startCluster } = await load(repo, 'packages/harness/dist/index.js');
    return async () => {
      const c = await startCluster({ hosts: HOSTS, n: 3, r: 2, w: 2, logLevel: 'warn', verbose: true, exitOnSignal: true });
      return { addresses: c.addresses, pids: c.nodes.map((n) => n.pid), stop: c.stop };
    };
  }
  const { startLocalCluster } = await load(repo, 'tools/bench/local-cluster.mjs');
  return async () => {
    const c = await startLocalCluster({ hosts: HOSTS, flags: ['--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn'] });
    return { addresses: c.nodes, pids: c.pids, stop: c.stop };
  };
}

const variant = async (name, repo) => ({
  name,
  start: await launcher(repo),
  store: (await load(repo, 'packages/client/bench/quorumkv-store.mjs')).quorumKvStore,
});
const variants = [await variant('A', repoA), await variant('B', repoB)];
const rows = [];
for (let r = 0; r < Number(rounds); r++) {
  for (const v of variants) {
    const cluster = await v.start();
    try {
      const res = await runYcsb(v.store({ nodes: cluster.addresses }), { recordCount: 10_000, callers: 32, seconds: 10, workloads: [workload], serverPids: cluster.pids, log: () => undefined });
      const p = res.phases.find((x) => x.phase === workload);
      const upd = p.byOp.update ?? {};
      rows.push({ variant: v.name, round: r + 1, opsPerSec: Math.round(p.opsPerSec), cpuUsPerOp: Math.round(p.cpu.totalUsPerOp), updateP50: upd.p50Ms, updateP99: upd.p99Ms });
      console.log(JSON.stringify(rows[rows.length - 1]));
    } finally {
      await cluster.stop();
    }
  }
}

// Same-session A/B comparison of two server builds under one YCSB workload, alternating runs so
// machine noise hits both alike. Usage: node tools/bench/ab-ycsb.mjs <repoA> <repoB> [workload] [rounds]
// (each repo path is a checkout whose packages are built; each variant runs its own server and SDK).
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { runYcsb } from './ycsb.mjs';

const [repoA, repoB, workload = 'A', rounds = '2'] = process.argv.slice(2);
const load = (repo, path) => import(pathToFileURL(resolve(repo, path)).href);
const variant = async (name, repo) => ({
  name,
  start: (await load(repo, 'tools/bench/local-cluster.mjs')).startLocalCluster,
  store: (await load(repo, 'packages/client/bench/quorumkv-store.mjs')).quorumKvStore,
});
const variants = [await variant('A', repoA), await variant('B', repoB)];
const rows = [];
for (let r = 0; r < Number(rounds); r++) {
  for (const v of variants) {
    const cluster = await v.start({ hosts: ['127.0.0.101', '127.0.0.102', '127.0.0.103'], flags: ['--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn'] });
    try {
      const res = await runYcsb(v.store({ nodes: cluster.nodes }), { recordCount: 10_000, callers: 32, seconds: 10, workloads: [workload], serverPids: cluster.pids, log: () => undefined });
      const p = res.phases.find((x) => x.phase === workload);
      const upd = p.byOp.update ?? {};
      rows.push({ variant: v.name, round: r + 1, opsPerSec: Math.round(p.opsPerSec), cpuUsPerOp: Math.round(p.cpu.totalUsPerOp), updateP50: upd.p50Ms, updateP99: upd.p99Ms });
      console.log(JSON.stringify(rows[rows.length - 1]));
    } finally {
      await cluster.stop();
    }
  }
}

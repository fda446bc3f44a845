// Same-session A/B comparison of two server builds under one YCSB workload, alternating runs so
// machine noise hits both alike. Usage: node tools/bench/ab-ycsb.mjs <repoA> <repoB> [workload] [rounds]
// (each repo path is a checkout whose packages/server/dist is built).
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { quorumKvStore } from '../../packages/client/bench/quorumkv-store.mjs';
import { runYcsb } from './ycsb.mjs';

const [repoA, repoB, workload = 'A', rounds = '2'] = process.argv.slice(2);
const launcher = async (repo) => (await import(pathToFileURL(resolve(repo, 'tools/bench/local-cluster.mjs')).href)).startLocalCluster;
const variants = [
  { name: 'A', start: await launcher(repoA) },
  { name: 'B', start: await launcher(repoB) },
];
const rows = [];
for (let r = 0; r < Number(rounds); r++) {
  for (const v of variants) {
    const cluster = await v.start({ hosts: ['127.0.0.101', '127.0.0.102', '127.0.0.103'], flags: ['--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn'] });
    try {
      const res = await runYcsb(quorumKvStore({ nodes: cluster.nodes }), { recordCount: 10_000, callers: 32, seconds: 10, workloads: [workload], serverPids: cluster.pids, log: () => undefined });
      const p = res.phases.find((x) => x.phase === workload);
      const upd = p.byOp.update ?? {};
      rows.push({ variant: v.name, round: r + 1, opsPerSec: Math.round(p.opsPerSec), cpuUsPerOp: Math.round(p.cpu.totalUsPerOp), updateP50: upd.p50Ms, updateP99: upd.p99Ms });
      console.log(JSON.stringify(rows[rows.length - 1]));
    } finally {
      await cluster.stop();
    }
  }
}

// Where a YCSB workload's CPU goes: user vs system time per server and the client, Session ops
// per message and Replicate items per message (from /metrics). Usage: node tools/bench/diag-ycsb.mjs [workload] [seconds]
import { readFileSync } from 'node:fs';
import { startCluster } from '@quorumkv/harness';
import { quorumKvStore } from '../../packages/client/bench/quorumkv-store.mjs';
import { runYcsb } from './ycsb.mjs';

const workload = process.argv[2] ?? 'A';
const seconds = Number(process.argv[3] ?? 10);
const ticks = 100;
const times = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(f[11]) / ticks, sys: Number(f[12]) / ticks };
};
const scrape = async (node) => {
  const text = await (await fetch(`http://${node}/metrics`)).text();
  const get = (name) => Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm'))?.[1] ?? 0);
  return { sm: get('quorumkv_session_messages_total'), so: get('quorumkv_session_ops_total'), rm: get('quorumkv_replica_messages_total'), ri: get('quorumkv_replica_items_total') };
};
const cluster = await startCluster({ hosts: ['127.0.0.121', '127.0.0.122', '127.0.0.123'], n: 3, r: 2, w: 2, logLevel: 'warn', verbose: true, exitOnSignal: true });
const pids = cluster.nodes.map((n) => n.pid);
try {
  const store = quorumKvStore({ nodes: cluster.addresses });
  await runYcsb(store, { recordCount: 10_000, callers: 32, seconds, workloads: [], serverPids: pids, log: () => undefined });
  const t0 = pids.map(times);
  const c0 = process.cpuUsage();
  const m0 = await Promise.all(cluster.addresses.map(scrape));
  const res = await runYcsb(quorumKvStore({ nodes: cluster.addresses }), { recordCount: 10_000, callers: 32, seconds, workloads: [workload], skipLoad: true, serverPids: pids, log: () => undefined });
  const t1 = pids.map(times);
  const c1 = process.cpuUsage(c0);
  const m1 = await Promise.all(cluster.addresses.map(scrape));
  const p = res.phases.find((x) => x.phase === workload);
  const ops = p.ops;
  console.log(`${workload}: ${Math.round(p.opsPerSec)} ops/s, total ${p.cpu.totalUsPerOp} µs/op, p50 ${p.latency.p50Ms} p99 ${p.latency.p99Ms}`);
  console.log(`client (this process incl. harness): user ${(c1.user / ops).toFixed(0)} sys ${(c1.system / ops).toFixed(0)} µs/op`);
  pids.forEach((pid, i) => {
    const u = ((t1[i].user - t0[i].user) * 1e6) / ops, s = ((t1[i].sys - t0[i].sys) * 1e6) / ops;
    const d = Object.fromEntries(Object.keys(m1[i]).map((k) => [k, m1[i][k] - m0[i][k]]));
    console.log(`node ${i + 1}: user ${u.toFixed(0)} sys ${s.toFixed(0)} µs/op; session ${(d.so / d.sm).toFixed(1)} ops/msg (${d.sm} msgs), replicate ${(d.ri / d.rm).toFixed(1)} items/msg (${d.rm} msgs)`);
  });
} finally {
  await cluster.stop();
}

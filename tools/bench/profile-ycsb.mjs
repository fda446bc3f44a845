// Profiles the three nodes of a local cluster under YCSB-A through the SDK (Session streams):
// node --cpu-prof for each server, then prints each node's top self-time functions.
// Usage: node tools/bench/profile-ycsb.mjs [seconds]  (profiles land in $QKV_PROF_DIR or a temp dir)
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '@quorumkv/harness';
import { quorumKvStore } from '../../packages/client/bench/quorumkv-store.mjs';
import { runYcsb } from './ycsb.mjs';

const seconds = Number(process.argv[2] ?? 10);
const dir = process.env.QKV_PROF_DIR ?? mkdtempSync(join(tmpdir(), 'qkv-prof-'));
process.env.QKV_CPU_PROFILE = join(dir, "node-%p.cpuprofile");
const cluster = await startCluster({ hosts: ['127.0.0.91', '127.0.0.92', '127.0.0.93'], n: 3, r: 2, w: 2, logLevel: 'warn', verbose: true, exitOnSignal: true });
const pids = cluster.nodes.map((n) => n.pid);
delete process.env.QKV_CPU_PROFILE;
try {
  const store = quorumKvStore({ nodes: cluster.addresses });
  const result = await runYcsb(store, { recordCount: 5_000, callers: 32, seconds, workloads: ['A'], serverPids: pids, log: () => undefined });
  for (const p of result.phases) console.log(`${p.phase ?? p.name}: ${Math.round(p.opsPerSec ?? p.throughput ?? 0)} ops/s, CPU µs/op ${JSON.stringify(p.cpuUsPerOp ?? p.cpu)}`);
} finally {
  await cluster.stop();
}
for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  p.samples.forEach((s, i) => {
    const n = byId.get(s);
    const dt = p.timeDeltas[i] ?? 0;
    const k = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + dt);
    total += dt;
  });
  const idle = self.get('(idle) :-1') ?? 0;
  console.log(`\n${f}: busy ${((total - idle) / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s`);
  [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 18)
    .forEach(([k, t]) => console.log(`${((100 * t) / (total - idle)).toFixed(1).padStart(5)}%  ${k}`));
}
console.log(`\nprofiles in ${dir}`);

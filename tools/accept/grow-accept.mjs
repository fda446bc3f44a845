// npm run accept:grow: issue #19's acceptance scenario, real processes on 127.0.0.x with real LMDB
// and a writer running throughout. A 3-node cluster holds 20,000 keys; two nodes started with
// --seeds only are joined (the plan's moved partitions must be exactly those that move), then one
// of the original nodes leaves. Afterwards:
//   - every acknowledged write (from before and during the changes) reads back with r=3;
//   - every key has its n=3 replicas on the owners of the final ring (local reads on each owner);
//   - max/mean partitions per node by weight is at most 1.1;
//   - the node that left exited with code 0 and holds no records and no hints (its LMDB opened
//     after it stopped).
// Prints the figures (time from commit to balanced, leave time) and exits 1 on any failure.
// Environment: QKV_ACCEPT_KEYS (20000), QKV_ACCEPT_PARTITIONS (64).
import { rmSync } from 'node:fs';
import { startCluster } from '@quorumkv/harness';
import { partitionOf, preferenceList } from '@quorumkv/ring';
import { openLmdbEngine } from '@quorumkv/storage';
import { envInt } from '../bench/bench-report.mjs';
import { balance, Clients, dec, enc, pool, ringOf, settled, sleep, stage, startSeeded } from './cluster-ops.mjs';

const KEYS = envInt('QKV_ACCEPT_KEYS', 20_000);
const Q = envInt('QKV_ACCEPT_PARTITIONS', 64);
const ARGS = ['--gossip-interval-ms', '200', '--replica-timeout-ms', '3000'];
const FLAGS = ['--partitions', String(Q), '--n', '3', '--r', '2', '--w', '2', '--log-level', 'warn', ...ARGS];
const log = (line) => process.stdout.write(`${line}\n`);
const problems = [];

/** Unique keys written until stopped; only acknowledged ones are remembered. */
function startWriter(clients, entry) {
  const acked = new Map();
  let running = true;
  let failed = 0;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const nodes = entry();
      const key = `during-${i}`;
      try {
        await clients.of(nodes[i % nodes.length]).kv.put({ key: enc(key), value: enc(`v-${key}`), w: 2, timeoutMs: 5_000 });
        acked.set(key, `v-${key}`);
      } catch {
        failed++;
      }
      await sleep(2);
    }
  })();
  return { acked, stop: async () => ((running = false), await loop, failed) };
}

const exits = new Map();
const cluster = await startCluster({ nodes: 3, hostBase: 98, partitions: Q, n: 3, r: 2, w: 2, extraArgs: ARGS, logLevel: 'warn', onExit: (id, code) => exits.set(id, code) });
const clients = new Clients();
const joiners = [];
try {
  const [n1, n2, n3] = cluster.nodes;
  const acked = new Map();
  const loadStart = Date.now();
  await pool(
    Array.from({ length: KEYS }, (_, i) => `k${i}`),
    64,
    async (key, i) => {
      await clients.of(cluster.nodes[i % 3]).kv.put({ key: enc(key), value: enc(`v-${key}`), w: 2 });
      acked.set(key, `v-${key}`);
    },
  );
  log(`loaded ${KEYS} keys in ${((Date.now() - loadStart) / 1000).toFixed(1)} s`);
  const writer = startWriter(clients, () => [n1, n2]);

  const onExit = (id) => (code) => exits.set(id, code);
  const [n4, n5] = await Promise.all(['n4', 'n5'].map((id, i) => startSeeded({ id, host: `127.0.0.${102 + i}`, seed: n1, near: n1, args: FLAGS, onExit: onExit(id) })));
  joiners.push(n4, n5);
  await stage(clients, n2, { join: 'n4' });
  await stage(clients, n2, { join: 'n5' });
  const before = await ringOf(clients, n1);
  const plan = await clients.of(n2).admin.plan({});
  const planned = new Set(plan.moves.map((m) => m.partition));
  const committedAt = Date.now();
  await clients.of(n2).admin.commit({ fromVersion: plan.fromVersion });
  const all = [n1, n2, n3, n4, n5];
  const grown = await settled(clients, all, (r) => r.nodes.length === 5, 300_000);
  const joinMs = Date.now() - committedAt;
  const moved = new Set(before.owners.map((id, p) => (grown.owners[p] !== id ? p : -1)).filter((p) => p >= 0));
  if ([...planned].sort().join() !== [...moved].sort().join()) problems.push(`plan moved [${[...planned].sort((a, b) => a - b)}], the ring moved [${[...moved].sort((a, b) => a - b)}]`);
  log(`join of 2 nodes: ${planned.size} partitions planned, ${moved.size} moved; commit to balanced ${(joinMs / 1000).toFixed(1)} s; ${JSON.stringify(balance(grown))}`);

  // One of the original nodes (not the claimant) leaves.
  const leaveAt = Date.now();
  await stage(clients, n1, { leave: 'n3' });
  await clients.of(n1).admin.commit({ fromVersion: 0n });
  const rest = [n1, n2, n4, n5];
  const shrunk = await settled(clients, rest, (r) => !r.nodes.some((n) => n.id === 'n3'), 300_000);
  const leaveMs = Date.now() - leaveAt;
  const failedWrites = await writer.stop();
  for (const [k, v] of writer.acked) acked.set(k, v);
  const bal = balance(shrunk);
  log(`leave of n3: commit to balanced ${(leaveMs / 1000).toFixed(1)} s; ${JSON.stringify(bal)}; writer: ${writer.acked.size} acknowledged, ${failedWrites} failed`);
  if (bal.maxOverMean > 1.1) problems.push(`max/mean partitions by weight ${bal.maxOverMean.toFixed(3)} > 1.1`);

  // Every acknowledged write reads back with r=3, and each of its owners holds its own copy.
  const byId = new Map(rest.map((n) => [n.id, n]));
  const checkStart = Date.now();
  await pool([...acked.keys()], 32, async (key, i) => {
    const got = await clients.of(rest[i % rest.length]).kv.get({ key: enc(key), r: 3, timeoutMs: 10_000 }).catch((err) => ({ error: err.message }));
    const values = got.found ? got.siblings.map((s) => dec(s.value)) : [];
    if (!values.includes(acked.get(key))) problems.push(`${key}: r=3 read gave [${values}]${got.error ? ` (${got.error})` : ''}, acknowledged ${acked.get(key)}`);
    for (const id of preferenceList(shrunk, 'default', key, 3).primaries) {
      const local = await clients.of(byId.get(id)).admin.localGet({ bucket: '', key: enc(key) });
      if (!local.found || !local.siblings.some((s) => dec(s.value) === acked.get(key))) problems.push(`${key}: owner ${id} holds no copy`);
    }
  });
  log(`checked ${acked.size} keys (r=3 read + local read on each of 3 owners) in ${((Date.now() - checkStart) / 1000).toFixed(1)} s`);

  // The node that left stops by itself, and its data dir holds nothing.
  const exitDeadline = Date.now() + 60_000;
  while (!exits.has('n3') && Date.now() < exitDeadline) await sleep(200);
  if (exits.get('n3') !== 0) problems.push(`n3 did not exit with 0 (exit: ${exits.get('n3')}); its last log lines:\n${n3.logs().split('\n').slice(-15).join('\n')}`);
  else {
    const storage = await openLmdbEngine({ path: n3.dataDir, partitionCount: Q, partitioner: (b, k) => partitionOf(Q, b, k) });
    let records = 0;
    for (let p = 0; p < Q; p++) records += storage.countPartition(p);
    const hints = storage.countHints();
    await storage.close();
    log(`n3 exited with 0; its data dir holds ${records} records and ${hints} hints`);
    if (records + hints > 0) problems.push(`n3 left ${records} records and ${hints} hints behind`);
  }
} catch (err) {
  problems.push(`scenario failed: ${err instanceof Error ? err.stack : String(err)}`);
} finally {
  await Promise.all(joiners.map((n) => n.stop()));
  await cluster.stop();
  for (const n of joiners) rmSync(n.dataDir, { recursive: true, force: true });
}
if (problems.length > 0) {
  log(`FAILED: ${problems.length} problems`);
  for (const p of problems.slice(0, 30)) log(`  ${p}`);
  process.exit(1);
}
log('accept:grow passed');
process.exit(0);

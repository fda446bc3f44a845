// The QuorumKV adapter of the YCSB harness (tools/bench/ycsb.mjs), through the SDK.
//
// An update is a put with the causal context this client last saw for the key (from its last get
// or put), as an application that reads before it writes would do, so it supersedes what it read.
// A blind put (no context) would add a sibling on every update, and hot keys would hit the sibling
// cap within seconds. Two callers updating one key with the same context still leave two siblings
// until the next update with a newer context folds them; stats() counts how often reads saw that.
// The load phase inserts new keys without a context. One SDK client serves every caller, as in an
// application.
import { createClient } from '@quorumkv/client/node';
import { envInt } from '../../../tools/bench/bench-report.mjs';

/**
 * The cluster the YCSB benchmarks measure (`startCluster` options of @quorumkv/harness, hosts and
 * partitions aside): n=3 r=2 w=2, every acknowledged write fsynced, replicas fed by the batched stream.
 */
export const durableClusterOptions = {
  n: 3,
  r: 2,
  w: 2,
  extraArgs: ['--durability', 'sync', '--replica-transport', 'stream'],
  logLevel: 'warn',
  verbose: true,
  exitOnSignal: true,
};

/**
 * The YCSB run's settings from the environment: QKV_YCSB_RECORDS (default `records`),
 * QKV_YCSB_CALLERS (32), QKV_YCSB_SECONDS (10 per workload); 1 KiB values, seed 42.
 * @param {{ records: number, workloads?: string[] }} defaults
 */
export function ycsbOptions(defaults) {
  return {
    recordCount: envInt('QKV_YCSB_RECORDS', defaults.records),
    valueBytes: 1024,
    callers: envInt('QKV_YCSB_CALLERS', 32),
    seconds: envInt('QKV_YCSB_SECONDS', 10),
    maxOps: 1_000_000,
    loadSeconds: 300,
    seed: 42,
    ...(defaults.workloads ? { workloads: defaults.workloads } : {}),
  };
}

/**
 * @param {import('@quorumkv/client/node').NodeClientOptions} clientOptions
 * @returns {import('../../../tools/bench/ycsb.mjs').YcsbStore & { client: import('@quorumkv/client').QuorumKvClient }}
 */
export function quorumKvStore(clientOptions) {
  const client = createClient(clientOptions);
  const contexts = new Map();
  let multiSiblingReads = 0;
  let maxSiblings = 0;
  return {
    name: 'QuorumKV',
    client,
    async read(key) {
      const res = await client.get(key);
      if (!res.found) return false;
      contexts.set(key, res.context);
      if (res.siblings.length > 1) multiSiblingReads++;
      maxSiblings = Math.max(maxSiblings, res.siblings.length);
      return true;
    },
    async update(key, value) {
      const context = contexts.get(key);
      const res = await client.put(key, value, context ? { context } : {});
      contexts.set(key, res.context);
    },
    async insert(key, value) {
      const res = await client.put(key, value);
      contexts.set(key, res.context);
    },
    close() {
      client.close();
    },
    stats() {
      const s = { multiSiblingReads, maxSiblings };
      multiSiblingReads = 0;
      maxSiblings = 0;
      return s;
    },
  };
}

/** A cluster answers /readyz before its ring has settled; waits until a quorum write goes through. */
export async function waitUntilWritable(client, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await client.refreshRing();
      await client.put('bench-probe', 'ok', { timeoutMs: 2000 });
      await client.delete('bench-probe', { timeoutMs: 2000 });
      return;
    } catch (err) {
      if (performance.now() > deadline) throw new Error(`QuorumKV cluster not writable after ${timeoutMs / 1000} s: ${err?.message ?? err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

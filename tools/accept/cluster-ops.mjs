// What the ring-change scripts (accept:grow, bench:handoff) do to a running cluster of real
// processes: clients per node, nodes started with --seeds only, staged changes, waiting until every
// node holds the same ring without a transition, and reading a node's Prometheus counters.
import { join } from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { NodeHandle, freePort } from '@quorumkv/harness';
import { AdminService, KvService } from '@quorumkv/protocol';
import { decodeRing } from '@quorumkv/ring';

export const enc = (s) => new TextEncoder().encode(s);
export const dec = (b) => new TextDecoder().decode(b);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Connect clients per node address. Their HTTP/2 sessions close after idling; the scripts exit
 * the process when done rather than wait for that.
 */
export class Clients {
  byAddress = new Map();

  of(node) {
    if (!this.byAddress.has(node.address)) {
      const transport = createConnectTransport({ baseUrl: node.url, httpVersion: '2' });
      this.byAddress.set(node.address, { kv: createClient(KvService, transport), admin: createClient(AdminService, transport) });
    }
    return this.byAddress.get(node.address);
  }
}

export async function ringOf(clients, node) {
  return decodeRing((await clients.of(node).kv.getRouting({})).ring.encoded);
}

/** Polls `check` every `stepMs` until it is true or `timeoutMs` passed; returns whether it was. */
export async function eventually(check, timeoutMs, stepMs = 250) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return true;
    await sleep(stepMs);
  }
  return false;
}

/** Waits until every node holds one ring without a transition that satisfies `done`; returns it. */
export async function settled(clients, nodes, done, timeoutMs) {
  let last;
  const ok = await eventually(async () => {
    const rings = await Promise.all(nodes.map((n) => ringOf(clients, n)));
    last = rings[0];
    return rings.every((r) => r.transition === undefined && done(r) && r.checksum === rings[0].checksum);
  }, timeoutMs);
  if (!ok) throw new Error(`ring did not settle in ${timeoutMs} ms: version ${last?.version}, transition ${last?.transition ? 'pending' : 'none'}`);
  return last;
}

/** Starts a node that knows only `seed`, on `host`, its data dir beside `near`'s. */
export async function startSeeded({ id, host, seed, near, args, onExit }) {
  const port = await freePort(host);
  const dataDir = join(near.dataDir, '..', id);
  const node = new NodeHandle({ id, host, port, dataDir, args: ['--node-id', id, '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', seed.address, ...args], ...(onExit ? { onExit } : {}) });
  node.start();
  await node.waitReady(60_000);
  return node;
}

/** Stages `change` (a Join or Leave request) on `node`, retrying while gossip has not seen a joiner yet. */
export async function stage(clients, node, change) {
  const admin = clients.of(node).admin;
  const ok = await eventually(async () => {
    if (change.join) await admin.join({ nodeId: change.join });
    else await admin.leave({ nodeId: change.leave });
    return true;
  }, 30_000);
  if (!ok) throw new Error(`cannot stage ${JSON.stringify(change)}`);
}

/** The value of a Prometheus counter or gauge on `node` (summed over labels), 0 when absent. */
export async function metric(node, name) {
  return (await metrics(node, [name]))[0];
}

/** The values of several metrics (each summed over its labels) from one scrape. */
export async function metrics(node, names) {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const sums = names.map(() => 0);
  for (const line of text.split('\n')) {
    names.forEach((name, i) => {
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sums[i] += Number(line.slice(line.lastIndexOf(' ') + 1));
    });
  }
  return sums;
}

/** Partitions per node by the ring's owners, and max/mean by weight. */
export function balance(ring) {
  const counts = Object.fromEntries(ring.nodes.map((n) => [n.id, 0]));
  for (const id of ring.owners) counts[id] = (counts[id] ?? 0) + 1;
  const totalWeight = ring.nodes.reduce((s, n) => s + n.weight, 0);
  const ratios = ring.nodes.map((n) => counts[n.id] / ((ring.partitionCount * n.weight) / totalWeight));
  return { counts, maxOverMean: Math.max(...ratios) };
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

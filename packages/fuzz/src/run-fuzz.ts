// One fuzzing run against real nodes: start a cluster, write canary keys, send the seed's requests
// with bounded concurrency while counting every answer by class, RPC and shape, sample each node's
// memory, then check the nodes: still running, serving a normal put/get, every canary intact.
import { startCluster, type Cluster } from '@quorumkv/harness';
import type { AnswerClass } from './answer-class.js';
import { CANARY_BUCKET, lostCanaries, NodeClient, servesPutGet, writeCanaries } from './canary.js';
import { memoryOf, type MemorySample } from './node-memory.js';
import { RequestGenerator } from './request-generator.js';
import { RequestSender } from './request-sender.js';

/** Options of {@link runFuzz}. */
export interface FuzzRunOptions {
  readonly requests: number;
  readonly seed: number;
  /** Nodes in the cluster. Default 3. */
  readonly nodes?: number;
  /** Node i listens on 127.0.0.(hostBase + i); 127.0.0.(hostBase + nodes) is the sink address. Default 112. */
  readonly hostBase?: number;
  /** Requests in flight at once. Default 32. */
  readonly concurrency?: number;
  /** How long a request may go unanswered, ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Canary keys written before the run. Default 200. */
  readonly canaries?: number;
  /** Wait after the run before the last memory sample, ms. Default 5000. */
  readonly settleMs?: number;
  /** Most growth of any node's anonymous resident memory from the warm-up sample to the settled one, bytes. Default 128 MiB. */
  readonly maxAnonGrowthBytes?: number;
  /** Called every `requests / 10` requests. */
  readonly onProgress?: (done: number, counts: Readonly<Record<AnswerClass, number>>) => void;
}

/** A node's memory along the run. */
export interface NodeMemory {
  readonly node: string;
  readonly before: MemorySample;
  /** After the first tenth of the requests: the baseline growth is measured from. */
  readonly warm: MemorySample;
  readonly after: MemorySample;
  readonly settled: MemorySample;
}

/** What a run found. */
export interface FuzzReport {
  readonly seed: number;
  readonly requests: number;
  readonly elapsedMs: number;
  readonly classes: Record<AnswerClass, number>;
  readonly byRpc: Record<string, Record<AnswerClass, number>>;
  readonly byShape: Record<string, Record<AnswerClass, number>>;
  /** Error codes and how often each came back. */
  readonly codes: Record<string, number>;
  /** Up to 20 answers of each class other than ok and error, with the request that drew them. */
  readonly samples: { index: number; rpc: string; shape: string; class: AnswerClass; code: string; message?: string }[];
  readonly memory: NodeMemory[];
  /** Nodes that exited during the run. */
  readonly crashes: string[];
  readonly canaries: number;
  readonly lost: string[];
  /** Nodes that failed a normal put/get after the run. */
  readonly notServing: string[];
  /** Why the run failed; empty when it passed. */
  readonly failures: string[];
}

const emptyClasses = (): Record<AnswerClass, number> => ({ ok: 0, error: 0, internal: 0, reset: 0, timeout: 0, unsent: 0 });

/** Runs the fuzzer against a new cluster it starts and stops. */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzReport> {
  const nodes = o.nodes ?? 3;
  const hostBase = o.hostBase ?? 112;
  const crashes: string[] = [];
  const cluster = await startCluster({ nodes, hostBase, n: Math.min(3, nodes), onExit: (id) => crashes.push(id) });
  const clients = cluster.nodes.map((n) => new NodeClient(n.url));
  try {
    return await fuzzCluster(cluster, clients, crashes, { ...o, nodes, hostBase });
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
  }
}

async function fuzzCluster(cluster: Cluster, clients: NodeClient[], crashes: string[], o: FuzzRunOptions & { nodes: number; hostBase: number }): Promise<FuzzReport> {
  const written = await writeCanaries(clients[0]!, o.canaries ?? 200, Math.min(3, o.nodes));
  const status = await clients[0]!.admin.status({});
  const before = cluster.nodes.map((n) => memoryOf(n.pid!));
  const generator = new RequestGenerator({
    seed: o.seed,
    nodes: o.nodes,
    forbidden: new Set([CANARY_BUCKET, ...cluster.nodes.map((n) => n.id)]),
    sinkHost: `127.0.0.${o.hostBase + o.nodes}`,
    clusterId: status.clusterId,
  });
  const sender = new RequestSender(cluster.nodes.map((n) => ({ host: n.host, port: n.port })), o.timeoutMs ?? 10_000);
  const report = { classes: emptyClasses(), byRpc: {} as FuzzReport['byRpc'], byShape: {} as FuzzReport['byShape'], codes: {} as Record<string, number>, samples: [] as FuzzReport['samples'] };
  let warm: (MemorySample | undefined)[] = before;
  let sent = 0;
  const started = Date.now();
  const tenth = Math.max(1, Math.floor(o.requests / 10));
  const worker = async (): Promise<void> => {
    while (sent < o.requests) {
      const req = generator.next();
      sent++;
      const answer = await sender.send(req);
      report.classes[answer.class]++;
      (report.byRpc[req.rpc] ??= emptyClasses())[answer.class]++;
      (report.byShape[req.shape] ??= emptyClasses())[answer.class]++;
      if (answer.class !== 'ok') report.codes[answer.code] = (report.codes[answer.code] ?? 0) + 1;
      if (answer.class !== 'ok' && answer.class !== 'error' && report.samples.filter((s) => s.class === answer.class).length < 20) report.samples.push({ index: req.index, rpc: req.rpc, shape: req.shape, ...answer });
      const done = req.index + 1;
      if (done % tenth === 0) {
        if (done === tenth) warm = sample(cluster);
        o.onProgress?.(done, report.classes);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 32 }, worker));
  sender.close();
  const elapsedMs = Date.now() - started;
  const after = sample(cluster);
  await new Promise((r) => setTimeout(r, o.settleMs ?? 5_000));
  const settled = sample(cluster);

  const notServing: string[] = [];
  for (const [i, node] of cluster.nodes.entries()) if (!node.running || !(await servesPutGet(clients[i]!, `after-fuzz-${node.id}`))) notServing.push(node.id);
  const lost = notServing.length === cluster.nodes.length ? [...written.keys()] : await lostCanaries(clients[cluster.nodes.findIndex((n) => !notServing.includes(n.id))]!, written);
  const memory = cluster.nodes.map((n, i) => ({ node: n.id, before: before[i]!, warm: warm[i] ?? before[i]!, after: after[i] ?? before[i]!, settled: settled[i] ?? before[i]! }));
  const maxGrowth = o.maxAnonGrowthBytes ?? 128 * 1024 * 1024;
  const failures = [
    ...crashes.map((id) => `node ${id} exited during the run`),
    ...(report.classes.internal > 0 ? [`${report.classes.internal} internal errors`] : []),
    ...(lost.length > 0 ? [`${lost.length} of ${written.size} canary keys lost`] : []),
    ...notServing.map((id) => `node ${id} does not serve a put/get after the run`),
    ...memory.filter((m) => m.settled.anon - m.warm.anon > maxGrowth).map((m) => `node ${m.node} anonymous memory grew ${mib(m.settled.anon - m.warm.anon)} MiB after warm-up (bound ${mib(maxGrowth)} MiB)`),
  ];
  return { seed: o.seed, requests: sent, elapsedMs, ...report, memory, crashes, canaries: written.size, lost, notServing, failures };
}

/** Each node's memory, undefined for one not running (a crashed node has none to sample). */
function sample(cluster: Cluster): (MemorySample | undefined)[] {
  return cluster.nodes.map((n) => (n.running ? memoryOf(n.pid!) : undefined));
}

export const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);

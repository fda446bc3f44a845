// Sends chosen requests of a seed's run, one at a time, to a new cluster and describes each with
// its answer: how a request the run reported is looked at on its own.
import { startCluster } from '@quorumkv/harness';
import type { Answer } from './answer-class.js';
import { CANARY_BUCKET, NodeClient } from './canary.js';
import { RequestGenerator, type FuzzRequest } from './request-generator.js';
import { RequestSender } from './request-sender.js';

/** One replayed request: what was sent (body abridged) and what came back. */
export interface Replayed {
  readonly request: Omit<FuzzRequest, 'body' | 'bytes'> & { bodyBytes: number; bodyHead: string };
  readonly answer: Answer;
  readonly ms: number;
}

/** Replays requests `indices` of the run of `seed` against a new cluster of `nodes` on `hostBase`. */
export async function replay(o: { seed: number; nodes: number; hostBase: number; indices: readonly number[]; timeoutMs?: number }): Promise<Replayed[]> {
  const cluster = await startCluster({ nodes: o.nodes, hostBase: o.hostBase, n: Math.min(3, o.nodes) });
  const client = new NodeClient(cluster.nodes[0]!.url);
  const sender = new RequestSender(cluster.nodes.map((n) => ({ host: n.host, port: n.port })), o.timeoutMs ?? 10_000);
  try {
    const { clusterId } = await client.admin.status({});
    const generator = new RequestGenerator({ seed: o.seed, nodes: o.nodes, forbidden: new Set([CANARY_BUCKET, ...cluster.nodes.map((n) => n.id)]), sinkHost: `127.0.0.${o.hostBase + o.nodes}`, clusterId });
    const out: Replayed[] = [];
    const last = Math.max(...o.indices);
    for (let i = 0; i <= last; i++) {
      const req = generator.next();
      if (!o.indices.includes(i)) continue;
      const started = Date.now();
      const answer = await sender.send(req);
      const bytes = req.kind === 'raw' ? req.bytes : req.body;
      const { body: _body, bytes: _bytes, ...rest } = req as FuzzRequest & { body?: Uint8Array; bytes?: Uint8Array };
      out.push({ request: { ...rest, bodyBytes: bytes.length, bodyHead: Buffer.from(bytes.subarray(0, 48)).toString('hex') }, answer, ms: Date.now() - started });
    }
    return out;
  } finally {
    sender.close();
    client.close();
    await cluster.stop();
  }
}

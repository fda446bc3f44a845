// Starts real nodes from a cluster definition written by the test (zones and weights in
// --initial-cluster, per-node flags), which the shared harness does not spell. Nodes run on
// 127.0.0.<hostBase + i> with free ports and temporary data dirs, and are stopped by pid.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NodeHandle } from '@quorumkv/harness';

export interface FounderSpec {
  id: string;
  /** Appended to the node's --initial-cluster entry, e.g. `;zone=z1;weight=2`. */
  attributes?: string;
  /** Flags for this node only. */
  args?: string[];
}

export interface Founders {
  nodes: NodeHandle[];
  /** The --initial-cluster value every node got. */
  initialCluster: string;
  /** Starts every node and waits until each is ready (or rejects with the first one's output). */
  startAll(): Promise<void>;
  stop(): Promise<void>;
}

/** Prepares (does not start) one process per spec, all given the same --initial-cluster. */
export async function founders(options: { hostBase: number; specs: FounderSpec[]; args?: string[] }): Promise<Founders> {
  const root = mkdtempSync(join(tmpdir(), 'qkv-founders-'));
  const placed = await Promise.all(
    options.specs.map(async (spec, i) => {
      const host = `127.0.0.${options.hostBase + i}`;
      return { spec, host, port: await freePort(host) };
    }),
  );
  const initialCluster = placed.map((p) => `${p.spec.id}=${p.host}:${p.port}${p.spec.attributes ?? ''}`).join(',');
  const nodes = placed.map(({ spec, host, port }) => {
    const dataDir = join(root, spec.id);
    const args = ['--node-id', spec.id, '--listen', `${host}:${port}`, '--data-dir', dataDir, '--initial-cluster', initialCluster, '--partitions', '64', '--log-level', 'warn', ...(options.args ?? []), ...(spec.args ?? [])];
    return new NodeHandle({ id: spec.id, host, port, dataDir, args });
  });
  return {
    nodes,
    initialCluster,
    startAll: async () => {
      for (const node of nodes) node.start();
      await Promise.all(nodes.map((n) => n.waitReady()));
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Resolves when the process exits; its output then holds why. */
export async function exitOf(node: NodeHandle, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (node.running && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (node.running) throw new Error(`${node.id} still running after ${timeoutMs} ms`);
  return node.logs();
}

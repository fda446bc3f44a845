// `cluster transfers` while a joiner receives its data through throttled handoffs: the --json
// report lists the active transfers with their totals, and `--watch` (piped, so one frame per
// refresh) shows each transfer's bar filling up, its keys, bytes, rate and ETA, and ends by itself
// once the change is done.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createClient } from '@quorumkv/client/node';
import { NodeHandle, freePort, startCluster, type Cluster } from '@quorumkv/harness';
import { cliBin, runCli, runJson } from './run-cli.js';

const HOST_BASE = 92;
const Q = 16;
const KEYS = 600;
// Slow enough (about 16 KB/s per sender, one transfer at a time) that the change spans many refreshes.
const SLOW = ['--handoff-pace', 'fixed', '--handoff-bytes-per-second', '10000', '--handoff-concurrency', '1', '--handoff-batch-items', '16'];
const FLAGS = ['--gossip-interval-ms', '200', '--log-level', 'warn', ...SLOW];

let cluster: Cluster;
let joiner: NodeHandle | undefined;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, partitions: Q, n: 3, hostBase: HOST_BASE, extraArgs: FLAGS });
}, 60_000);

afterAll(async () => {
  await joiner?.stop();
  await cluster?.stop();
});

interface Report {
  transition?: { since: number; pendingPartitions: number };
  transfers: { partition: number; from: string; to: string; state: string; keysDone: number; keysTotal: number; bytesTotal: number }[];
  done: boolean;
}

/** Runs `quorumkv ... cluster transfers --watch` to its end; resolves with what it printed. */
function watch(node: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliBin, '--node', node, 'cluster', 'transfers', '--watch', '--interval', '250ms'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('cluster transfers', () => {
  it('shows each transfer of a join with a live bar, keys, bytes, rate and ETA, and --json totals', async () => {
    const node = cluster.addresses[0]!;
    // Every node sees the others up before the writes (a write to a node taken for down is only a hint).
    let verify = await runCli(['--node', node, 'cluster', 'verify']);
    for (let i = 0; i < 50 && verify.code !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      verify = await runCli(['--node', node, 'cluster', 'verify']);
    }
    expect(verify.code).toBe(0);
    const client = createClient({ nodes: cluster.addresses, timeoutMs: 10_000 });
    try {
      const value = new Uint8Array(1000).fill(97);
      for (let i = 0; i < KEYS; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => client.put(`key-${i + j}`, value, { w: 2 })));
    } finally {
      await client.close();
    }
    const idle = await runJson<Report>(['--node', node, 'cluster', 'transfers']);
    expect(idle.json).toEqual({ ringVersion: expect.any(Number), transfers: [], unreachable: [], done: true });

    const host = `127.0.0.${HOST_BASE + 3}`;
    const port = await freePort(host);
    const dataDir = join(cluster.dataDir, 'n4');
    joiner = new NodeHandle({ id: 'n4', host, port, dataDir, args: ['--node-id', 'n4', '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', node, '--partitions', String(Q), '--n', '3', ...FLAGS] });
    joiner.start();
    await joiner.waitReady(30_000);
    let staged = await runCli(['--node', node, 'cluster', 'join', 'n4']);
    for (let i = 0; i < 50 && staged.code !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      staged = await runCli(['--node', node, 'cluster', 'join', 'n4']);
    }
    expect((await runCli(['--node', node, 'cluster', 'commit'])).code).toBe(0);
    const watching = watch(node);
    // Mid-change, --json lists the active transfers with the partition's totals on the sender.
    let mid: Report | undefined;
    for (let i = 0; i < 10 && !mid?.transfers.some((t) => t.state === 'active'); i++) {
      mid = (await runJson<Report>(['--node', node, 'cluster', 'transfers'])).json;
    }
    expect(mid!.done).toBe(false);
    const active = mid!.transfers.find((t) => t.state === 'active')!;
    expect(active).toMatchObject({ to: 'n4', keysTotal: expect.any(Number), bytesTotal: expect.any(Number) });
    expect(active.keysTotal).toBeGreaterThan(0);
    expect(active.bytesTotal).toBeGreaterThan(active.keysTotal * 1000);
    expect(mid!.transfers.some((t) => t.state === 'queued')).toBe(true);

    const watched = await watching;
    expect(watched.code).toBe(0);
    const frames = watched.stdout.split(/\n\s*\n/).filter((f) => f.trim().length > 0);
    expect(frames.length).toBeGreaterThan(3);
    // Some transfer is seen at several points of its progress, its bar filling as its percentage grows.
    const seen = new Map<string, number[]>();
    for (const m of watched.stdout.matchAll(/^(p\d+ n\d->n4)\s+([█░]{24})\s+(\d+)%\s+(\d+)\/(\d+) keys\s+\S+ \S+\/\S+ \S+\s+(\S+ \S+\/s|-)\s+ETA (\S+)$/gm)) {
      const [, label, bar, pct] = m;
      expect(bar!.indexOf('░') === -1 ? 24 : bar!.indexOf('░')).toBe(Math.round((Number(pct) / 100) * 24));
      seen.set(label!, [...(seen.get(label!) ?? []), Number(pct)]);
    }
    const progressions = [...seen.values()].map((p) => [...new Set(p)]);
    expect(progressions.some((p) => p.length >= 2 && p.every((v, i) => i === 0 || v >= p[i - 1]!))).toBe(true);
    expect(watched.stdout).toMatch(/\d+(\.\d)? KiB\/s\s+ETA \d+s/);
    expect(frames[frames.length - 1]).toMatch(/^ring version \d+: no change in progress$/m);
  }, 180_000);
});

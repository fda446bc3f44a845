// `quorumkv cluster create`: nodes started alone (each its own one-node cluster) become one cluster
// through the plan/commit path. Bad requests are refused in one line naming the field and change
// nothing; then three empty nodes form a cluster: one cluster id, one ring, and a write at w=all
// held by every node and readable through each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type QuorumKvClient } from '@quorumkv/client/node';
import { NodeHandle, freePort } from '@quorumkv/harness';
import { runCli, runJson } from './run-cli.js';

const HOST = '127.0.0.142';
const FLAGS = ['--partitions', '16', '--n', '3', '--gossip-interval-ms', '200', '--log-level', 'warn'];

const root = mkdtempSync(join(tmpdir(), 'qkv-create-'));
const nodes = new Map<string, NodeHandle>();
let client: QuorumKvClient;

/** Starts a node alone (no --initial-cluster, no --seeds), known here as `name`, with node id `id`. */
async function startAlone(name: string, id = name): Promise<string> {
  const port = await freePort(HOST);
  const dataDir = join(root, name);
  const node = new NodeHandle({ id, host: HOST, port, dataDir, args: ['--node-id', id, '--listen', `${HOST}:${port}`, '--data-dir', dataDir, ...FLAGS] });
  nodes.set(name, node);
  node.start();
  await node.waitReady(30_000);
  return node.address;
}

const addressOf = (id: string): string => nodes.get(id)!.address;

interface StatusJson {
  status: { nodeId: string; clusterId: string; ringVersion: number; ringChecksum: string };
}

async function statusOf(id: string): Promise<StatusJson['status']> {
  return (await runJson<StatusJson>(['--node', addressOf(id), 'cluster', 'status'])).json.status;
}

beforeAll(async () => {
  await Promise.all(['n1', 'n2', 'n3', 'n4'].map((id) => startAlone(id)));
  client = createClient({ nodes: [addressOf('n1')], routing: false, timeoutMs: 10_000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await Promise.all([...nodes.values()].map((n) => n.stop()));
  rmSync(root, { recursive: true, force: true });
});

describe('cluster create', () => {
  it('refuses bad requests in one line naming the field, changing nothing', async () => {
    const before = await Promise.all(['n1', 'n2', 'n3', 'n4'].map(statusOf));
    const [a1, a2, a3] = [addressOf('n1'), addressOf('n2'), addressOf('n3')];
    const create = (...addresses: string[]) => runCli(['cluster', 'create', ...addresses]);

    const twice = await create(a1, a2, a2);
    expect({ code: twice.code, stderr: twice.stderr.trim() }).toEqual({ code: 2, stderr: expect.stringMatching(new RegExp(`^error: .*addresses: ${a2} is listed twice$`)) });
    const few = await create(a1, a2);
    expect({ code: few.code, stderr: few.stderr.trim() }).toEqual({ code: 2, stderr: expect.stringMatching(/^error: .*addresses: a cluster of 2 nodes keeps fewer than n = 3 replicas/) });
    const nobody = `${HOST}:${await freePort(HOST)}`;
    const unreachable = await create(a1, a2, nobody);
    expect({ code: unreachable.code, stderr: unreachable.stderr.trim() }).toEqual({ code: 4, stderr: expect.stringMatching(new RegExp(`^error: .*addresses: ${nobody}: did not answer`)) });
    // n4 holds a record: it is not empty.
    expect((await runCli(['--node', addressOf('n4'), 'put', 'mine', 'x'])).code).toBe(0);
    const full = await create(a1, a2, addressOf('n4'));
    expect({ code: full.code, stderr: full.stderr.trim() }).toEqual({ code: 4, stderr: expect.stringMatching(new RegExp(`^error: .*addresses: ${addressOf('n4')}: node n4 holds 1 records: create brings in only empty nodes`)) });
    // Two nodes with one id.
    const twin = await startAlone('twin', 'n2');
    const twins = await create(a1, a2, twin);
    expect({ code: twins.code, stderr: twins.stderr.trim() }).toEqual({ code: 4, stderr: expect.stringMatching(new RegExp(`^error: .*addresses: ${twin} has node id n2, as ${a2} has: start every node with its own --node-id`)) });
    await nodes.get('twin')!.stop();

    const after = await Promise.all(['n1', 'n2', 'n3', 'n4'].map(statusOf));
    expect(after.map((s) => [s.nodeId, s.clusterId, s.ringVersion])).toEqual(before.map((s) => [s.nodeId, s.clusterId, s.ringVersion]));
    expect(new Set(after.map((s) => s.clusterId)).size).toBe(4);
    void a3;
  }, 60_000);

  it('forms one cluster of empty nodes started alone: one id, one ring, writes at w=all on every node', async () => {
    const addresses = ['n1', 'n2', 'n3'].map(addressOf);
    const created = await runCli(['cluster', 'create', ...addresses]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/took the cluster/);
    expect(created.stdout).toMatch(/staged:\s+join n2, join n3/);
    expect(created.stdout).toMatch(/committed: every node holds ring version \d+ \(checksum \w+\) of 3 nodes/);

    const statuses = await Promise.all(['n1', 'n2', 'n3'].map(statusOf));
    expect(new Set(statuses.map((s) => s.clusterId)).size).toBe(1);
    expect(new Set(statuses.map((s) => `${s.ringVersion}/${s.ringChecksum}`)).size).toBe(1);

    const put = await runCli(['--node', addressOf('n2'), 'put', 'together', 'yes', '--w', '3']);
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/3\/3 replicas answered/);
    for (const id of ['n1', 'n2', 'n3']) {
      const local = await client.admin.localGet('together', { node: addressOf(id), bucket: 'default' });
      expect({ id, values: local.siblings.map((s) => new TextDecoder().decode(s.value)) }).toEqual({ id, values: ['yes'] });
      const read = await runCli(['--node', addressOf(id), 'get', 'together', '--r', '3']);
      expect({ id, code: read.code, value: read.stdout.match(/\byes\b/)?.[0] }).toEqual({ id, code: 0, value: 'yes' });
    }

    // Run again: nothing left to do, every node is a member already.
    const again = await runCli(['cluster', 'create', ...addresses]);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/n2 \(already a member\)[\s\S]*committed: every node holds ring version/) });

    // A node of a multi-node cluster is not brought in by another create.
    const n5 = await startAlone('n5');
    const n6 = await startAlone('n6');
    const taken = await runCli(['cluster', 'create', n5, addressOf('n1'), n6]);
    expect({ code: taken.code, stderr: taken.stderr.trim() }).toEqual({
      code: 4,
      stderr: expect.stringMatching(new RegExp(`^error: .*addresses: ${addressOf('n1')}: node n1 belongs to a cluster of 3 ring nodes \\(n1, n2, n3\\)`)),
    });
    expect((await statusOf('n6')).clusterId).not.toBe(statuses[0]!.clusterId);
  }, 120_000);
});

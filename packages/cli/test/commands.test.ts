// Every data, bucket and cluster command of the built CLI against a real 3-node cluster, in human
// and --json output, with the documented exit codes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '@quorumkv/harness';
import { runCli, runJson } from './run-cli.js';

let cluster: Cluster;
let node: string[];

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, partitions: 64 });
  node = ['--node', cluster.nodes[0]!.address];
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('put / get / delete', () => {
  it('writes and reads a value (human)', async () => {
    const put = await runCli([...node, 'put', 'greeting', 'hello world']);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(put.stdout).toMatch(/^ok: wrote 11 bytes to greeting/);
    expect(put.stdout).toMatch(/context: \S+/);

    const get = await runCli([...node, 'get', 'greeting']);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^#\s+VALUE\s+WRITTEN BY\s+WRITTEN AT/);
    expect(get.stdout).toContain('hello world');
    expect(get.stdout).toMatch(/context: [A-Za-z0-9+/=]+/);
  });

  it('writes and reads a value (--json), takes the context back, and deletes', async () => {
    const put = await runJson<{ ok: boolean; context: string; receipt: { required: number } }>([...node, 'put', 'doc', 'v1']);
    expect(put.code).toBe(0);
    expect(put.json.ok).toBe(true);
    expect(put.json.receipt.required).toBe(2);

    const got = await runJson<{ found: boolean; values: string[]; context: string; siblings: { valueBase64: string }[] }>([...node, 'get', 'doc']);
    expect(got.json).toMatchObject({ found: true, values: ['v1'] });
    expect(got.json.siblings[0]!.valueBase64).toBe(Buffer.from('v1').toString('base64'));

    const put2 = await runCli([...node, 'put', 'doc', 'v2', '--context', got.json.context, '--w', '3']);
    expect(put2.code).toBe(0);
    const again = await runJson<{ values: string[] }>(['--node', cluster.nodes[1]!.address, 'get', 'doc', '--r', '3']);
    expect(again.json.values).toEqual(['v2']);

    const latest = await runJson<{ context: string }>([...node, 'get', 'doc']);
    const del = await runJson<{ ok: boolean }>([...node, 'delete', 'doc', '--context', latest.json.context]);
    expect(del).toMatchObject({ code: 0, json: { ok: true } });
    const gone = await runCli([...node, 'get', 'doc']);
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim()).toBe('not found: doc');
  });

  it('deletes without --context (the coordinator deletes what it holds)', async () => {
    await runCli([...node, 'put', 'blind', 'v']);
    const del = await runCli([...node, 'delete', 'blind']);
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/^ok: deleted blind/);
    expect((await runCli([...node, 'get', 'blind'])).code).toBe(1);
  });

  it('shows concurrent writes as siblings', async () => {
    await runCli([...node, 'put', 'twins', 'a']);
    await runCli([...node, 'put', 'twins', 'b']);
    const human = await runCli([...node, 'get', 'twins']);
    expect(human.stdout).toMatch(/^2 siblings/);
    const json = await runJson<{ values: string[] }>([...node, 'get', 'twins']);
    expect(json.json.values.sort()).toEqual(['a', 'b']);
  });

  it('reads the value from stdin and from --file, with --bucket and --ttl', async () => {
    const stdin = await runCli([...node, 'put', 'piped', '--ttl', '1h'], { stdin: 'from stdin' });
    expect(stdin.code).toBe(0);
    expect((await runCli([...node, 'bucket', 'create', 'files'])).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'qkv-cli-'));
    const file = join(dir, 'value.bin');
    writeFileSync(file, Buffer.from([0, 1, 2, 255]));
    expect((await runCli([...node, 'put', 'binary', '--file', file, '--bucket', 'files'])).code).toBe(0);
    const piped = await runJson<{ values: string[]; siblings: { expiresAtMs: number }[] }>([...node, 'get', 'piped']);
    expect(piped.json.values).toEqual(['from stdin']);
    expect(piped.json.siblings[0]!.expiresAtMs).toBeGreaterThan(Date.now() + 3_000_000);
    const bin = await runJson<{ siblings: { valueBase64: string }[] }>([...node, 'get', 'binary', '--bucket', 'files']);
    expect(bin.json.siblings[0]!.valueBase64).toBe('AAEC/w==');
    const human = await runCli([...node, 'get', 'binary', '-b', 'files']);
    expect(human.stdout).toContain('base64:AAEC/w==');
  });

  it('answers a missing key with exit code 1 in both modes', async () => {
    const human = await runCli([...node, 'get', 'nope']);
    expect(human).toMatchObject({ code: 1, stdout: '' });
    const json = await runJson<{ found: boolean }>([...node, 'get', 'nope']);
    expect(json).toMatchObject({ code: 1, json: { found: false } });
  });
});

describe('keys', () => {
  it('lists keys with a prefix', async () => {
    await runCli([...node, 'bucket', 'create', 'listing']);
    for (const k of ['k/1', 'k/2', 'k/3']) await runCli([...node, 'put', k, 'x', '--bucket', 'listing']);
    const human = await runCli([...node, 'keys', '--bucket', 'listing', '--prefix', 'k/']);
    expect(human.code).toBe(0);
    expect(human.stdout.trim().split('\n').sort()).toEqual(['k/1', 'k/2', 'k/3']);
    const json = await runJson<{ count: number; keys: string[] }>([...node, 'keys', '--bucket', 'listing', '--prefix', 'k/']);
    expect(json.json.count).toBe(3);
    expect(json.json.keys.sort()).toEqual(['k/1', 'k/2', 'k/3']);
    const empty = await runCli([...node, 'keys', '--bucket', 'listing', '--prefix', 'zzz']);
    expect(empty.stdout.trim()).toBe('(no keys)');
  });
});

describe('bucket', () => {
  it('creates, shows and lists buckets', async () => {
    const created = await runCli([...node, 'bucket', 'create', 'sessions', '--n', '2', '--r', '1', '--w', '1', '--conflicts', 'lww', '--ttl', '30m']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^ok: bucket sessions saved/);
    expect(created.stdout).toMatch(/default ttl:\s+30m/);

    const shown = await runJson<{ found: boolean; bucket: { n: number; r: number; w: number; conflicts: string; defaultTtlMs: number } }>([...node, 'bucket', 'show', 'sessions']);
    expect(shown.json).toMatchObject({ found: true, bucket: { n: 2, r: 1, w: 1, conflicts: 'lww', defaultTtlMs: 1_800_000 } });
    // Bucket properties reach the other nodes by gossip.
    let human = await runCli(['--node', cluster.nodes[2]!.address, 'bucket', 'show', 'sessions']);
    for (let i = 0; i < 50 && human.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      human = await runCli(['--node', cluster.nodes[2]!.address, 'bucket', 'show', 'sessions']);
    }
    expect(human.stdout).toMatch(/conflicts:\s+lww/);

    const list = await runJson<{ buckets: { name: string }[] }>([...node, 'bucket', 'list']);
    expect(list.json.buckets.map((b) => b.name)).toEqual(expect.arrayContaining(['default', 'sessions']));
    const table = await runCli([...node, 'bucket', 'list']);
    expect(table.stdout).toMatch(/^NAME\s+N\s+R\s+W\s+CONFLICTS\s+TTL/);
    expect(table.stdout).toMatch(/sessions\s+2\s+1\s+1\s+lww\s+30m/);

    const missing = await runCli([...node, 'bucket', 'show', 'no-such-bucket']);
    expect(missing.code).toBe(1);
    expect((await runJson([...node, 'bucket', 'show', 'no-such-bucket'])).json).toMatchObject({ found: false });
  });
});

describe('cluster', () => {
  it('status lists members, ring version and checksum, hints', async () => {
    const human = await runCli([...node, 'cluster', 'status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/ring:\s+version \d+, checksum [0-9a-f]+/);
    expect(human.stdout).toMatch(/hints pending:\s+\d+/);
    for (const n of cluster.nodes) expect(human.stdout).toContain(n.address);
    const json = await runJson<{ status: { ringVersion: number; ringChecksum: string; hintsPending: number }; members: { id: string; liveness: string }[] }>([...node, 'cluster', 'status']);
    expect(json.json.status.ringVersion).toBeGreaterThan(0);
    expect(json.json.members.map((m) => m.id).sort()).toEqual(cluster.nodes.map((n) => n.id).sort());
  });

  it('ring shows partitions per node and the balance', async () => {
    const human = await runCli([...node, 'cluster', 'ring']);
    expect(human.stdout).toMatch(/64 partitions/);
    expect(human.stdout).toMatch(/balance:\s+min \d+, max \d+/);
    const json = await runJson<{ partitionCount: number; ownership: { partitions: number }[]; balance: { maxOverIdeal: number } }>([...node, 'cluster', 'ring']);
    expect(json.json.partitionCount).toBe(64);
    expect(json.json.ownership.reduce((a, o) => a + o.partitions, 0)).toBe(64);
    expect(json.json.balance.maxOverIdeal).toBeLessThan(1.1);
  });

  it('verify is healthy with every node up, and exits 3 listing what is missing when one is down', async () => {
    const ok = await runCli([...node, 'cluster', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^healthy/);
    expect((await runJson([...node, 'cluster', 'verify'])).json).toMatchObject({ healthy: true });

    const victim = cluster.nodes[2]!;
    await victim.kill('SIGKILL');
    let report = await runJson<{ healthy: boolean; problems: { down: string[] }[] }>([...node, 'cluster', 'verify']);
    for (let i = 0; i < 100 && report.json.healthy; i++) {
      await new Promise((r) => setTimeout(r, 200));
      report = await runJson([...node, 'cluster', 'verify']);
    }
    expect(report.code).toBe(3);
    expect(report.json.healthy).toBe(false);
    expect(report.json.problems.some((p) => p.down.includes(victim.id))).toBe(true);
    const human = await runCli([...node, 'cluster', 'verify']);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/^NOT healthy/);
    expect(human.stdout).toContain(victim.id);
  }, 40_000);
});

// Bad input gets INVALID_ARGUMENT naming the field, loses nothing, and the node keeps serving
// (malformed bodies: error-codes.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorDetailSchema, ErrorReason } from '@quorumkv/protocol';
import { locateServer, startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, dec, enc } from './support.js';

const serverBin = locateServer()!.path;

type ConnectErr = { code: number; rawMessage: string; findDetails: (s: typeof ErrorDetailSchema) => { reason: ErrorReason; field: string }[] };

describe('bad input', () => {
  let cluster: Cluster;
  let node: NodeHandle;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1, hostBase: 41, extraArgs: ['--max-value-bytes', '65536'] });
    node = cluster.nodes[0]!;
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  const fails = (p: Promise<unknown>): Promise<ConnectErr> => p.then(() => { throw new Error('expected an error'); }, (e: unknown) => e as ConnectErr);

  it.each([
    ['an oversized key', () => clients.of(node).kv.put({ key: new Uint8Array(1025), value: enc('x') }), 'key'],
    ['an oversized value', () => clients.of(node).kv.put({ key: enc('k'), value: new Uint8Array(65537) }), 'value'],
    ['a TTL past any representable expiry', () => clients.of(node).kv.put({ key: enc('k'), value: enc('x'), ttlMs: 2n ** 62n }), 'ttl_ms'],
    ['r=0', () => clients.of(node).kv.get({ key: enc('k'), r: 0 }), 'r'],
    ['w>n', () => clients.of(node).kv.put({ key: enc('k'), value: enc('x'), w: 2 }), 'w'],
    ['an unknown bucket', () => clients.of(node).kv.put({ bucket: 'no-such-bucket', key: enc('k'), value: enc('x') }), 'bucket'],
    ['an empty key', () => clients.of(node).kv.get({ key: new Uint8Array(0) }), 'key'],
    ['a forged context', () => clients.of(node).kv.put({ key: enc('k'), value: enc('x'), context: new Uint8Array([255, 1, 2]) }), 'context'],
    // Found by the fuzzer (issue #18): these reached storage, whose key-size error was INTERNAL.
    ['a ListKeys prefix longer than any key', () => clients.of(node).kv.listKeys({ prefix: new Uint8Array(3000) }), 'prefix'],
    ['a ListKeys cursor past any key', () => clients.of(node).kv.listKeys({ cursor: new Uint8Array([1, 0, 0, 0, 0, ...new Uint8Array(3000)]) }), 'cursor'],
  ])('refuses %s with INVALID_ARGUMENT naming the field', async (_what, call, field) => {
    const err = await fails(call());
    expect(err.code).toBe(3);
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: ErrorReason.INVALID_FIELD, field });
    expect(err.rawMessage).toContain(field);
  });

  it('loses nothing: a value stored before bad requests is intact after them', async () => {
    await clients.of(node).kv.put({ key: enc('kept'), value: enc('v') });
    await fails(clients.of(node).kv.put({ key: enc('kept'), value: new Uint8Array(70_000) }));
    expect((await clients.of(node).kv.get({ key: enc('kept') })).siblings.map((s) => dec(s.value))).toEqual(['v']);
  });

  it('exits non-zero with the bad field named for an unreadable or invalid config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qkv-config-'));
    const missing = spawnSync(process.execPath, [serverBin, '--config', join(dir, 'nope.yaml')], { encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/config: cannot read/);
    writeFileSync(join(dir, 'bad.yaml'), 'partitions: 100\n');
    const invalid = spawnSync(process.execPath, [serverBin, '--config', join(dir, 'bad.yaml')], { encoding: 'utf8' });
    expect(invalid.status).not.toBe(0);
    expect(invalid.stderr).toMatch(/partitions: must be a power of two/);
    writeFileSync(join(dir, 'garbled.yaml'), 'listen: [unclosed\n');
    const garbled = spawnSync(process.execPath, [serverBin, '--config', join(dir, 'garbled.yaml')], { encoding: 'utf8' });
    expect(garbled.status).not.toBe(0);
    expect(garbled.stderr).toMatch(/config: cannot parse/);
    const badEnv = spawnSync(process.execPath, [serverBin, '--print-config'], { encoding: 'utf8', env: { ...process.env, QKV_W: 'lots' } });
    expect(badEnv.status).not.toBe(0);
    expect(badEnv.stderr).toMatch(/w: QKV_W: not a number/);
  });
});

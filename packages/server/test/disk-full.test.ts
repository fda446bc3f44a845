// A node whose store fills (a small --map-size-bytes stands in for a small volume): writes are
// refused with RESOURCE_EXHAUSTED / STORAGE_FULL naming the cause, reads keep working, status and
// metrics say the store is full, deletes are still accepted, and once the deleted records are reaped
// the node takes writes again, without a restart. Nothing acknowledged is damaged on the way.
import { ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason } from '@quorumkv/protocol';
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, dec, enc, eventually } from './support.js';

const VALUE_BYTES = 16 * 1024;
const valueOf = (i: number): Uint8Array => new Uint8Array(VALUE_BYTES).fill(i % 251);

describe('a node whose store is full', () => {
  let cluster: Cluster;
  let node: NodeHandle;
  const clients = new Clients();
  const acked: number[] = [];
  let refusal: ConnectError | undefined;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 1,
      hostBase: 58,
      extraArgs: ['--map-size-bytes', String(2 * 1024 * 1024), '--tombstone-grace-ms', '300', '--durability', 'nosync'],
    });
    node = cluster.nodes[0]!;
    // Bounded: 2 MiB holds fewer than 128 values of 16 KiB.
    for (let i = 0; i < 400 && !refusal; i++) {
      try {
        await clients.of(node).kv.put({ key: enc(`k${i}`), value: valueOf(i) });
        acked.push(i);
      } catch (err) {
        refusal = ConnectError.from(err);
      }
    }
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });

  it('refuses writes with RESOURCE_EXHAUSTED / STORAGE_FULL saying where there was no room', () => {
    expect(acked.length).toBeGreaterThan(20);
    expect(refusal?.code).toBe(8);
    expect(refusal!.findDetails(ErrorDetailSchema)[0]?.reason).toBe(ErrorReason.STORAGE_FULL);
    expect(refusal!.rawMessage).toMatch(/^storage full: put stored on 0 of the 1 replicas required; no room on n1 \(\d+ of 2097152 bytes used\)/);
  });

  it('keeps serving reads of everything acknowledged, and says it is full in status and metrics', async () => {
    for (const i of acked) {
      const read = await clients.of(node).kv.get({ key: enc(`k${i}`) });
      expect(read.siblings).toHaveLength(1);
      expect(Buffer.from(read.siblings[0]!.value).equals(Buffer.from(valueOf(i)))).toBe(true);
    }
    const status = await clients.of(node).admin.status({});
    expect(status.storageFull).toBe(true);
    expect(status.storageLimitBytes).toBe(2n * 1024n * 1024n);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/^quorumkv_storage_full 1$/m);
    expect(metrics).toMatch(/^quorumkv_storage_limit_bytes 2097152$/m);
  });

  it('accepts deletes while full, and takes writes again once the deleted records are reaped', async () => {
    const kv = clients.of(node).kv;
    const deleted = acked.slice(0, Math.floor(acked.length * 0.9));
    for (const i of deleted) {
      const read = await kv.get({ key: enc(`k${i}`) });
      await kv.delete({ key: enc(`k${i}`), context: read.context });
    }
    // The reaper removes the dead records after their grace; their pages go back to LMDB's free list.
    let wrote = 0;
    const writable = await eventually(async () => {
      try {
        await kv.put({ key: enc(`after-${wrote}`), value: valueOf(wrote) });
        wrote++;
        return true;
      } catch (err) {
        if (ConnectError.from(err).code !== 8) throw err;
        return false;
      }
    }, 15_000, 200);
    expect(writable).toBe(true);
    for (let i = 1; i < 20; i++, wrote++) await kv.put({ key: enc(`after-${wrote}`), value: valueOf(wrote) });
    expect((await clients.of(node).admin.status({})).storageFull).toBe(false);
    expect(await (await fetch(`${node.url}/metrics`)).text()).toMatch(/^quorumkv_storage_full 0$/m);
    // Nothing half-written: the deleted keys are gone, the kept ones and the new ones intact.
    for (const i of deleted.slice(0, 10)) expect((await kv.get({ key: enc(`k${i}`) })).siblings).toHaveLength(0);
    for (const i of acked.slice(deleted.length)) {
      const read = await kv.get({ key: enc(`k${i}`) });
      expect(Buffer.from(read.siblings[0]!.value).equals(Buffer.from(valueOf(i)))).toBe(true);
    }
    for (let i = 0; i < wrote; i++) {
      const read = await kv.get({ key: enc(`after-${i}`) });
      expect(read.siblings.map((s) => dec(s.value).length)).toEqual([VALUE_BYTES]);
    }
  });
});

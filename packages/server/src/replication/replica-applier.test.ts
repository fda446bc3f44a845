import { ReplicaOp, ReplicaStatus, newReplicaItem } from '@quorumkv/protocol';
import { createMemoryEngine } from '@quorumkv/storage';
import type { BucketRegistry } from '../cluster/buckets.js';
import { NodeMetrics } from '../observability/metrics.js';
import { applyWrite, encodeRecord, liveSiblings, decodeRecord } from '../record/key-record.js';
import { ReplicaApplier } from './replica-applier.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const BUCKET = enc('default');

describe('ReplicaApplier: the stored expiry is the merged record’s', () => {
  let nowMs = 1_000_000;
  const storage = createMemoryEngine({ partitionCount: 4, partitioner: () => 0, now: () => nowMs });
  const buckets = { resolve: () => ({ lww: false }) } as unknown as BucketRegistry;
  const applier = new ReplicaApplier('c', storage, buckets, new NodeMetrics(() => undefined), () => nowMs);
  const write = (key: string, record: Uint8Array, expiresAtMs: number) =>
    applier.apply({ ...newReplicaItem(), id: 1n, op: ReplicaOp.WRITE, bucket: 'default', key: enc(key), record, expiresAtMs: BigInt(expiresAtMs) });

  it('keeps a concurrent sibling without a TTL alive when a sibling with one merges in', async () => {
    const forever = applyWrite(undefined, undefined, 'a~1', { tombstone: false, value: enc('forever'), timestampMs: nowMs, expiresAtMs: 0 }, false);
    const brief = applyWrite(undefined, undefined, 'b~1', { tombstone: false, value: enc('brief'), timestampMs: nowMs, expiresAtMs: nowMs + 1000 }, false);
    expect((await write('k', encodeRecord(forever), 0)).status).toBe(ReplicaStatus.OK);
    expect((await write('k', encodeRecord(brief), nowMs + 1000)).status).toBe(ReplicaStatus.OK);
    nowMs += 5000;
    const stored = storage.get(BUCKET, enc('k'), 0);
    expect(stored).toBeDefined();
    expect(liveSiblings(decodeRecord(stored!.value), nowMs).map((s) => new TextDecoder().decode(s.value))).toEqual(['forever']);
  });

  it('expires a record from its own siblings even when the item carries no expiry (a delivered hint)', async () => {
    const brief = applyWrite(undefined, undefined, 'b~1', { tombstone: false, value: enc('brief'), timestampMs: nowMs, expiresAtMs: nowMs + 1000 }, false);
    await write('hinted', encodeRecord(brief), 0);
    expect(storage.get(BUCKET, enc('hinted'), 0)?.expiresAtMs).toBe(nowMs + 1000);
  });
});

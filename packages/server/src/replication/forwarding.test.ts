import { ReplicaOp, ReplicaStatus, newReplicaItem } from '@quorumkv/protocol';
import { beginTransition, createRing, finishTransition, markDone, pendingPartitions, plan, replicaSets, type Ring } from '@quorumkv/ring';
import { createMemoryEngine } from '@quorumkv/storage';
import { possibleHolders, type BucketRegistry } from '../cluster/buckets.js';
import { ActorEpochs } from '../cluster/actor-epochs.js';
import { systemTimers } from '../clock/timers.js';
import { NodeMetrics } from '../observability/metrics.js';
import { applyWrite, encodeRecord } from '../record/key-record.js';
import { forwardDecision } from './forwarding.js';
import { HintAdmission } from './hint-admission.js';
import { ReplicaApplier } from './replica-applier.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const Q = 16;
const N = 3;

// Nine founders (more than the largest n, so a node can stop holding a partition at all) and d.
const FOUNDERS = ['a', 'b', 'c', 'e', 'f', 'g', 'h', 'i', 'j'];

/** The founders own a ring; d joins: the transition ring, then the finished one. */
function rings(): { before: Ring; during: Ring; after: Ring } {
  const before = createRing({ partitionCount: Q, nodes: FOUNDERS.map((id) => ({ id, address: `${id}:1` })), targetN: N });
  const during = beginTransition(before, plan(before, { join: [{ id: 'd', address: 'd:1' }] }), N);
  const after = finishTransition(markDone(during, pendingPartitions(during)));
  return { before, during, after };
}

/** A partition d gains, and a founder that holds it before and may hold no copy of it after. */
function movedPartition(ring: Ring, after: Ring): { partition: number; gives: string } {
  for (let p = 0; p < Q; p++) {
    const sets = replicaSets(ring, p, N);
    const gives = possibleHolders(ring, p).find((id) => sets.current.includes(id) && !possibleHolders(after, p).includes(id));
    if (sets.pending.includes('d') && gives !== undefined) return { partition: p, gives };
  }
  throw new Error('no partition moves to d from a node that gives it up');
}

/** A replica applier on the memory engine, every key in `partition`, with hints kept for any member. */
async function applierFor(o: { selfId: string; ring: Ring; reachAllFrom: number; partition: number; buckets: BucketRegistry }) {
  const nowMs = 1_000_000;
  const metrics = new NodeMetrics(() => undefined);
  const storage = createMemoryEngine({ partitionCount: Q, partitioner: () => o.partition, now: () => nowMs });
  // a, b and c (the growth case) are founders' ids too.
  const isMember = (id: string): boolean => id === 'd' || FOUNDERS.includes(id);
  const hints = new HintAdmission(
    { storage, isMember, isUp: () => true, goneSinceMs: () => undefined, metrics, now: () => nowMs, timers: systemTimers, warn: () => undefined },
    { limits: { maxPerTarget: 100, maxTotal: 100, maxBytes: 1e6 }, windowMs: 60_000, maxAgeMs: 600_000 },
  );
  const epochs = await ActorEpochs.start(o.selfId, storage);
  const applier = new ReplicaApplier({ selfId: o.selfId, storage, epochs, tombstoneGraceMs: 60_000, buckets: o.buckets, ring: () => o.ring, reachAllFrom: () => o.reachAllFrom, metrics, hints, now: () => nowMs });
  return { storage, applier };
}

describe('forwarding writes routed by an older ring', () => {
  const { before, during, after } = rings();
  const { partition, gives } = movedPartition(during, after);
  const keeper = replicaSets(during, partition, N).current.find((id) => replicaSets(during, partition, N).next.includes(id))!;

  it('forwards a write routed before the transition began to the pending holder, and keeps it', () => {
    const d = forwardDecision({ selfId: keeper, ring: during, reachAllFrom: during.transition!.since, senderVersion: before.version, partition, n: N });
    expect(d.keep).toBe(true);
    expect(d.to).toContain('d');
    expect(d.to).not.toContain(keeper);
  });

  it('forwards nothing for a write routed by a ring that knew the transition', () => {
    expect(forwardDecision({ selfId: keeper, ring: during, reachAllFrom: during.transition!.since, senderVersion: during.version, partition, n: N })).toEqual({ keep: true, to: [] });
    expect(forwardDecision({ selfId: keeper, ring: after, reachAllFrom: during.transition!.since, senderVersion: during.version, partition, n: N })).toEqual({ keep: true, to: [] });
  });

  it('keeps a write routed by a newer ring than this node’s (this node is the stale one)', () => {
    expect(forwardDecision({ selfId: 'd', ring: before, reachAllFrom: before.version, senderVersion: during.version, partition, n: N })).toEqual({ keep: true, to: [] });
  });

  it('has a handoff source forward a write routed by the transition’s ring (a delivered hint) to the nodes gaining the partition', () => {
    const d = forwardDecision({ selfId: gives, ring: during, reachAllFrom: during.transition!.since, senderVersion: during.version, partition, n: N });
    expect(d).toEqual({ keep: true, to: ['d'] });
  });

  it('sends a write for a partition this node gave up only to its holders', () => {
    const d = forwardDecision({ selfId: gives, ring: after, reachAllFrom: during.transition!.since, senderVersion: before.version, partition, n: N });
    expect(d.keep).toBe(false);
    expect([...d.to].sort()).toEqual([...replicaSets(after, partition, N).current].sort());
  });

  describe('through the applier', () => {
    const nowMs = 1_000_000;
    const buckets = { resolve: () => ({ lww: false, n: N }) } as unknown as BucketRegistry;
    const record = encodeRecord(applyWrite(undefined, undefined, 'x~e.1', { tombstone: false, value: enc('late'), timestampMs: nowMs, expiresAtMs: 0 }, false));
    const item = { ...newReplicaItem(), id: 1n, op: ReplicaOp.WRITE, bucket: 'default', key: enc('late-key'), partition, record };

    const applierOf = (selfId: string, ring: Ring, reachAllFrom: number) => applierFor({ selfId, ring, reachAllFrom, partition, buckets });

    it('keeps a late write from a coordinator on the old ring and hints it for the new owner', async () => {
      const { storage, applier } = await applierOf(keeper, during, during.transition!.since);
      expect((await applier.apply(item, { ringVersion: before.version })).status).toBe(ReplicaStatus.OK);
      expect(storage.get(enc('default'), item.key, partition)).toBeDefined();
      expect(storage.hintsFor('d', 10).map((h) => dec(h.key))).toEqual(['late-key']);
    });

    it('redirects a hint kept for a node that left to the holders of its key', async () => {
      const { storage, applier } = await applierOf(keeper, after, during.transition!.since);
      expect(await applier.redirectHint({ id: 1, bucket: enc('default'), key: enc('for-gone'), value: record, createdAtMs: nowMs })).toBe(true);
      expect(storage.get(enc('default'), enc('for-gone'), partition)).toBeDefined();
      const others = replicaSets(after, partition, N).current.filter((id) => id !== keeper);
      for (const holder of others) expect(storage.hintsFor(holder, 10).map((h) => dec(h.key))).toEqual(['for-gone']);
    });

    it('does not keep a late write for a partition it dropped, but hints it for every holder', async () => {
      const { storage, applier } = await applierOf(gives, after, during.transition!.since);
      expect((await applier.apply(item, { ringVersion: before.version })).status).toBe(ReplicaStatus.OK);
      expect(storage.get(enc('default'), item.key, partition)).toBeUndefined();
      for (const holder of replicaSets(after, partition, N).current) expect(storage.hintsFor(holder, 10).map((h) => dec(h.key))).toEqual(['late-key']);
    });
  });
});

describe('forwarding while a ring smaller than the bucket’s n grows', () => {
  // Two nodes with a bucket of n = 3 (clamped to 2) and c joins: the transition copies for n = 3,
  // so c becomes a replica of every partition, in some only as the grown ring's third replica.
  const before = createRing({ partitionCount: Q, nodes: ['a', 'b'].map((id) => ({ id, address: `${id}:1` })), targetN: 3 });
  const during = beginTransition(before, plan(before, { join: [{ id: 'c', address: 'c:1' }] }), 3);
  const partition = Array.from({ length: Q }, (_, p) => p).find((p) => !replicaSets(during, p, 2).next.includes('c') && replicaSets(during, p, 3).next.includes('c'))!;
  const buckets = { resolve: () => ({ lww: false, n: 2, configured: { n: 3, w: 2 } }) } as unknown as BucketRegistry;
  const nowMs = 1_000_000;
  const record = encodeRecord(applyWrite(undefined, undefined, 'x~e.1', { tombstone: false, value: enc('v'), timestampMs: nowMs, expiresAtMs: 0 }, false));
  const item = { ...newReplicaItem(), id: 1n, op: ReplicaOp.WRITE, bucket: 'default', key: enc('k'), partition, record };

  it('has a partition where c is only the grown ring’s third replica', () => {
    expect(partition).toBeDefined();
  });

  it('forwards a write routed by the two-node ring to c, the grown ring’s third replica', async () => {
    const { storage, applier } = await applierFor({ selfId: 'a', ring: during, reachAllFrom: during.transition!.since, partition, buckets });
    expect((await applier.apply(item, { ringVersion: before.version })).status).toBe(ReplicaStatus.OK);
    expect(storage.get(enc('default'), item.key, partition)).toBeDefined();
    expect(storage.hintsFor('c', 10).map((h) => dec(h.key))).toEqual(['k']);
  });

  it('has c keep a write-only write of the transition’s ring without hinting it back to a and b', async () => {
    const { storage, applier } = await applierFor({ selfId: 'c', ring: during, reachAllFrom: during.transition!.since, partition, buckets });
    expect((await applier.apply(item, { ringVersion: during.version })).status).toBe(ReplicaStatus.OK);
    expect(storage.get(enc('default'), item.key, partition)).toBeDefined();
    expect([...storage.hintsFor('a', 10), ...storage.hintsFor('b', 10)]).toEqual([]);
  });
});

import { ReplicaOp, ReplicaStatus, newReplicaItem } from '@quorumkv/protocol';
import { createRing, preferenceListForPartition } from '@quorumkv/ring';
import { createMemoryEngine } from '@quorumkv/storage';
import type { BucketRegistry } from '../cluster/buckets.js';
import { ActorEpochs } from '../cluster/actor-epochs.js';
import { NodeMetrics } from '../observability/metrics.js';
import { applyWrite, encodeRecord, liveSiblings, decodeRecord } from '../record/key-record.js';
import { HintAdmission } from './hint-admission.js';
import { ReplicaApplier } from './replica-applier.js';
import { systemTimers } from '../clock/timers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const BUCKET = enc('default');
const GRACE = 60_000;

describe('ReplicaApplier', () => {
  let nowMs = 1_000_000;
  const storage = createMemoryEngine({ partitionCount: 8, partitioner: () => 0, now: () => nowMs });
  const buckets = { resolve: () => ({ lww: false, n: 3 }) } as unknown as BucketRegistry;
  const ring = createRing({ partitionCount: 8, nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, address: `${id}:1` })) });
  let epochs: ActorEpochs;
  let applier: ReplicaApplier;
  const metrics = new NodeMetrics(() => undefined);
  const hintsOver = (over: typeof storage) =>
    new HintAdmission(
      { storage: over, isMember: (id) => ring.nodes.some((n) => n.id === id), isUp: () => false, goneSinceMs: () => undefined, metrics, now: () => nowMs, timers: systemTimers, warn: () => undefined },
      { limits: { maxPerTarget: 100, maxTotal: 100, maxBytes: 1e6 }, windowMs: 60_000, maxAgeMs: 600_000 },
    );
  beforeAll(async () => {
    epochs = await ActorEpochs.start('c', storage);
    applier = new ReplicaApplier({ selfId: 'c', storage, epochs, tombstoneGraceMs: GRACE, buckets, ring: () => ring, metrics, hints: hintsOver(storage), now: () => nowMs });
  });
  const item = (op: ReplicaOp, key: string, record: Uint8Array = new Uint8Array(0)) => ({ ...newReplicaItem(), id: 1n, op, bucket: 'default', key: enc(key), partition: 0, record });
  const write = (key: string, record: Uint8Array) => applier.apply(item(ReplicaOp.WRITE, key, record));
  const value = (v: string, expiresAtMs = 0) => ({ tombstone: false, value: enc(v), timestampMs: nowMs, expiresAtMs });

  it('keeps a concurrent sibling without a TTL alive when a sibling with one merges in', async () => {
    const forever = applyWrite(undefined, undefined, 'a~x.1', value('forever'), false);
    const brief = applyWrite(undefined, undefined, 'b~x.1', value('brief', nowMs + 1000), false);
    expect((await write('k', encodeRecord(forever))).status).toBe(ReplicaStatus.OK);
    expect((await write('k', encodeRecord(brief))).status).toBe(ReplicaStatus.OK);
    nowMs += 5000;
    const stored = storage.get(BUCKET, enc('k'), 0)!;
    expect(stored.dueAtMs).toBeUndefined();
    expect(liveSiblings(decodeRecord(stored.value), nowMs).map((s) => new TextDecoder().decode(s.value))).toEqual(['forever']);
  });

  it('keeps an expired record with its clock, due for reaping a grace after it died', async () => {
    const brief = applyWrite(undefined, undefined, 'b~x.1', value('brief', nowMs + 1000), false);
    await write('hinted', encodeRecord(brief));
    nowMs += 5000;
    const stored = storage.get(BUCKET, enc('hinted'), 0)!;
    expect(stored.expiresAtMs).toBeUndefined();
    expect(stored.dueAtMs).toBe(nowMs - 5000 + 1000 + GRACE);
    expect(storage.listDue({ untilMs: stored.dueAtMs!, limit: 10 }).map((d) => new TextDecoder().decode(d.key))).toEqual(['hinted']);
  });

  it('distrusts this node’s epochs named by a copy that recreates a lost record', async () => {
    const own = epochs.actorFor(undefined)!;
    const copy = applyWrite(undefined, undefined, own, value('mine'), false);
    expect(epochs.actorFor(copy.context)).toBe(own);
    await write('lost-here', encodeRecord(copy));
    expect(epochs.actorFor(copy.context)).not.toBe(own);
  });

  it('answers the retired REAP op with an error and removes nothing', async () => {
    const before = storage.get(BUCKET, enc('k'), 0)!;
    const res = await applier.apply(item(3 as ReplicaOp, 'k', before.value));
    expect(res.status).toBe(ReplicaStatus.ERROR);
    expect(res.error).toMatch(/unknown op 3/);
    expect(storage.get(BUCKET, enc('k'), 0)).toBeDefined();
  });

  it('answers HINTS_PENDING without counting hints (O(backlog) in LMDB, once per due record and node)', async () => {
    const noCount = Object.create(storage) as typeof storage;
    noCount.countHints = () => {
      throw new Error('counted hints');
    };
    const cheap = new ReplicaApplier({ selfId: 'c', storage: noCount, epochs, tombstoneGraceMs: GRACE, buckets, ring: () => ring, metrics, hints: hintsOver(noCount), now: () => nowMs });
    expect((await cheap.apply(item(ReplicaOp.HINTS_PENDING, 'k'))).status).toBe(ReplicaStatus.OK);
    await storage.addHint('a', { bucket: BUCKET, key: enc('other-key'), value: enc('x') });
    expect((await cheap.apply(item(ReplicaOp.HINTS_PENDING, 'k'))).status).toBe(ReplicaStatus.CONFLICT);
    await storage.ackHints('a', storage.hintsFor('a', 10).map((h) => h.id));
  });

  it('tells whether it holds a hint for a node that may hold a copy of the key', async () => {
    expect((await applier.apply(item(ReplicaOp.HINTS_PENDING, 'k'))).status).toBe(ReplicaStatus.OK);
    await storage.addHint('not-in-ring', { bucket: BUCKET, key: enc('k'), value: enc('x') });
    expect((await applier.apply(item(ReplicaOp.HINTS_PENDING, 'k'))).status).toBe(ReplicaStatus.OK);
    // A hint for a node that is not a primary at this n, but would be at a higher one, of any key,
    // blocks reaping the key: n can be raised again.
    const notPrimary = ['a', 'b', 'c', 'd'].find((id) => !preferenceListForPartition(ring, 0, 3).primaries.includes(id))!;
    await storage.addHint(notPrimary, { bucket: BUCKET, key: enc('other-key'), value: enc('x') });
    expect((await applier.apply(item(ReplicaOp.HINTS_PENDING, 'k'))).status).toBe(ReplicaStatus.CONFLICT);
  });

  it('stores a hint only for a member of the ring, and refuses others naming hint_for', async () => {
    const hinted = encodeRecord(applyWrite(undefined, undefined, 'a~x.1', value('for d'), false));
    const res = await applier.apply({ ...item(ReplicaOp.WRITE, 'for-d', hinted), hintFor: 'd' });
    expect(res.status).toBe(ReplicaStatus.OK);
    expect(storage.hintsFor('d', 10).map((h) => new TextDecoder().decode(h.key))).toContain('for-d');
    const stranger = await applier.apply({ ...item(ReplicaOp.WRITE, 'for-x', hinted), hintFor: 'made-up' });
    expect(stranger.status).toBe(ReplicaStatus.ERROR);
    expect(stranger.error).toBe('hint_for: "made-up" is not a member of the ring');
    expect(storage.countHints('made-up')).toBe(0);
  });
});

// A handoff message's records merged all at once (applyHandoff) must leave storage exactly as the
// same records applied one by one as replica WRITEs (apply) would: the same bytes, due and listing
// times, counts and sizes, whatever was stored before (nothing, an ancestor, a descendant, a
// concurrent sibling, the same record, a tombstone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplicaOp, ReplicaStatus, newReplicaItem, type HandoffRecord } from '@quorumkv/protocol';
import { createRing } from '@quorumkv/ring';
import { openLmdbEngine, type LmdbEngine } from '@quorumkv/storage';
import type { BucketRegistry } from '../cluster/buckets.js';
import { ActorEpochs } from '../cluster/actor-epochs.js';
import { systemTimers } from '../clock/timers.js';
import { NodeMetrics } from '../observability/metrics.js';
import { applyWrite, encodeRecord, type KeyRecord } from '../record/key-record.js';
import { HintAdmission } from './hint-admission.js';
import { THROUGHPUT_GRAIN, YIELDING_GRAIN, type HandoffGrain } from './handoff-lane.js';
import { ReplicaApplier } from './replica-applier.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const GRACE = 60_000;
const PARTITION = 3;
const KEYS = 700;

/** A small seeded generator (mulberry32): the same records every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ReplicaApplier.applyHandoff', () => {
  const nowMs = 1_000_000;
  const ring = createRing({ partitionCount: 8, nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id, address: `${id}:1` })) });
  const buckets = { resolve: (name: string) => ({ lww: name === 'lww', n: 3 }) } as unknown as BucketRegistry;
  const metrics = new NodeMetrics(() => undefined);
  const dirs: string[] = [];
  const engines: LmdbEngine[] = [];

  async function node(grain?: HandoffGrain | 'by-foreground', now: () => number = () => nowMs): Promise<{ storage: LmdbEngine; applier: ReplicaApplier }> {
    const dir = mkdtempSync(join(tmpdir(), 'qkv-handoff-apply-'));
    dirs.push(dir);
    const storage = await openLmdbEngine({ path: dir, partitionCount: 8, partitioner: () => PARTITION, now: () => nowMs });
    engines.push(storage);
    const epochs = await ActorEpochs.start('c', storage);
    const hints = new HintAdmission(
      { storage, isMember: (id) => ring.nodes.some((n) => n.id === id), isUp: () => false, goneSinceMs: () => undefined, metrics, now: () => nowMs, timers: systemTimers, warn: () => undefined },
      { limits: { maxPerTarget: 100, maxTotal: 100, maxBytes: 1e6 }, windowMs: 60_000, maxAgeMs: 600_000 },
    );
    return { storage, applier: new ReplicaApplier({ selfId: 'c', storage, epochs, tombstoneGraceMs: GRACE, buckets, ring: () => ring, metrics, hints, now, ...(grain ? { handoffGrain: grain } : {}) }) };
  }

  afterAll(async () => {
    for (const e of engines) await e.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** For each key, what the receiver holds before (maybe nothing) and what the handoff brings. */
  function scenario(seed: number): { before: HandoffRecord[]; incoming: HandoffRecord[] } {
    const rnd = random(seed);
    const before: HandoffRecord[] = [];
    const incoming: HandoffRecord[] = [];
    const intent = (i: number, tombstone: boolean, expiresAtMs = 0) => ({ tombstone, value: tombstone ? new Uint8Array(0) : enc(`v${i}-${rnd()}`.repeat(1 + Math.floor(rnd() * 20))), timestampMs: nowMs - Math.floor(rnd() * 10_000), expiresAtMs });
    const rec = (bucket: string, key: Uint8Array, r: KeyRecord): HandoffRecord => ({ bucket, bucketBytes: enc(bucket), key, record: encodeRecord(r) });
    for (let i = 0; i < KEYS; i++) {
      const bucket = i % 5 === 0 ? 'lww' : 'default';
      const lww = bucket === 'lww';
      const key = enc(`key-${String(i).padStart(4, '0')}`);
      const base = applyWrite(undefined, undefined, 'a~x.1', intent(i, false), lww);
      const pick = rnd();
      const tomb = rnd() < 0.2;
      const exp = rnd() < 0.2 ? nowMs + 5_000 : 0;
      if (pick < 0.3) {
        // Absent here: stored as it comes.
        incoming.push(rec(bucket, key, applyWrite(undefined, undefined, 'b~x.1', intent(i, tomb, exp), lww)));
      } else if (pick < 0.45) {
        // The incoming one descends from ours.
        before.push(rec(bucket, key, base));
        incoming.push(rec(bucket, key, applyWrite(base, base.context, 'b~x.1', intent(i, tomb, exp), lww)));
      } else if (pick < 0.6) {
        // Ours descends from the incoming one.
        before.push(rec(bucket, key, applyWrite(base, base.context, 'd~x.1', intent(i, tomb, exp), lww)));
        incoming.push(rec(bucket, key, base));
      } else if (pick < 0.85) {
        // Concurrent: siblings (or the LWW winner).
        before.push(rec(bucket, key, applyWrite(base, base.context, 'd~x.1', intent(i, false), lww)));
        incoming.push(rec(bucket, key, applyWrite(base, base.context, 'b~x.1', intent(i, tomb, exp), lww)));
      } else {
        // The same record.
        before.push(rec(bucket, key, base));
        incoming.push(rec(bucket, key, base));
      }
    }
    // Scans return records in key order: bucket, then key.
    incoming.sort((x, y) => Buffer.compare(Buffer.from([...x.bucketBytes, 0, ...x.key]), Buffer.from([...y.bucketBytes, 0, ...y.key])));
    return { before, incoming };
  }

  const item = (r: HandoffRecord) => ({ ...newReplicaItem(), op: ReplicaOp.WRITE, bucket: r.bucket, key: r.key, partition: PARTITION, record: r.record });

  it('stores exactly what applying each record as a replica write stores', async () => {
    const one = await node();
    const many = await node();
    const { before, incoming } = scenario(19);
    for (const n of [one, many]) {
      const res = await n.applier.applyAll(before.map(item));
      expect(res.every((r) => r.status === ReplicaStatus.OK)).toBe(true);
    }
    const res = await one.applier.applyAll(incoming.map(item), { ringVersion: ring.version });
    expect(res.every((r) => r.status === ReplicaStatus.OK)).toBe(true);
    await many.applier.applyHandoff(PARTITION, incoming, { ringVersion: ring.version });

    const all = (s: LmdbEngine) => s.scanPartition(PARTITION, { limit: 10_000 }).items.map((i) => ({ key: Buffer.from(i.key).toString(), value: Buffer.from(i.record.value).toString('hex'), due: i.record.dueAtMs, listed: i.record.listedUntilMs }));
    const expected = all(one.storage);
    expect(expected.length).toBe(KEYS);
    expect(expected.some((r) => r.due !== undefined)).toBe(true);
    expect(all(many.storage)).toEqual(expected);
    expect(many.storage.countPartition(PARTITION)).toBe(one.storage.countPartition(PARTITION));
    expect(many.storage.partitionBytes(PARTITION)).toBe(one.storage.partitionBytes(PARTITION));
    expect(many.storage.listDue({ untilMs: Number.MAX_SAFE_INTEGER, limit: 10_000 }).length).toBe(one.storage.listDue({ untilMs: Number.MAX_SAFE_INTEGER, limit: 10_000 }).length);
  });

  it.each([
    ['throughput', THROUGHPUT_GRAIN],
    ['yielding', YIELDING_GRAIN],
  ])('%s grain: keeps at most its chunks of all concurrent messages uncommitted, each of at most its records, and stores every record', async (_name, grain) => {
    const n = await node(grain);
    const messages = [19, 20, 21, 22, 23, 24, 25, 26, 27].map((seed) => scenario(seed).incoming.map((r) => ({ ...r, key: enc(`${seed}-${Buffer.from(r.key).toString()}`) })));
    const updateMany = n.storage.updateMany.bind(n.storage);
    let uncommitted = 0;
    let most = 0;
    let largest = 0;
    n.storage.updateMany = (partition, entries, options) => {
      most = Math.max(most, ++uncommitted);
      largest = Math.max(largest, entries.length);
      let pending = true;
      const committed = (): void => {
        if (!pending) return;
        pending = false;
        uncommitted--;
        options?.onCommitted?.();
      };
      return updateMany(partition, entries, { onCommitted: committed }).finally(committed);
    };
    await Promise.all(messages.map((records) => n.applier.applyHandoff(PARTITION, records, { ringVersion: ring.version })));
    // Nine messages (three senders with three in flight each) of 700 records are 54 chunks of 128
    // (or 198 of 32): without the lane most of them would be queued at once.
    expect(most).toBe(grain.chunksInStorage);
    expect(largest).toBe(grain.chunkRecords);
    expect(n.storage.countPartition(PARTITION)).toBe(9 * KEYS);
  });

  it('by foreground: cuts handoff finely while replica traffic reached the node in the last second, coarsely otherwise', async () => {
    let now = nowMs;
    const n = await node('by-foreground', () => now);
    const sizes: number[] = [];
    const updateMany = n.storage.updateMany.bind(n.storage);
    n.storage.updateMany = (partition, entries, options) => {
      sizes.push(entries.length);
      return updateMany(partition, entries, options);
    };
    const { incoming } = scenario(29);
    const records = (tag: string) => incoming.slice(0, 256).map((r) => ({ ...r, key: enc(`${tag}-${Buffer.from(r.key).toString()}`) }));
    await n.applier.applyHandoff(PARTITION, records('idle'), { ringVersion: ring.version });
    expect(sizes).toEqual([128, 128]);
    n.applier.noteForeground();
    now += 999;
    sizes.length = 0;
    await n.applier.applyHandoff(PARTITION, records('busy'), { ringVersion: ring.version });
    expect(sizes).toEqual(Array(8).fill(32));
    now += 1;
    sizes.length = 0;
    await n.applier.applyHandoff(PARTITION, records('quiet'), { ringVersion: ring.version });
    expect(sizes).toEqual([128, 128]);
    // Traffic arriving in the middle of a message: its remaining chunks are cut finely.
    now += 10_000;
    sizes.length = 0;
    const store = n.storage.updateMany;
    n.storage.updateMany = (partition, entries, options) => {
      if (sizes.length === 0) n.applier.noteForeground();
      return store(partition, entries, options);
    };
    await n.applier.applyHandoff(PARTITION, records('mid'), { ringVersion: ring.version });
    expect(sizes).toEqual([128, 32, 32, 32, 32]);
  });

  it('refuses a message with a malformed record, storing nothing of its chunk', async () => {
    const n = await node();
    const { incoming } = scenario(7);
    const bad = incoming.slice(0, 10).map((r, i) => (i === 5 ? { ...r, record: new Uint8Array([1, 2, 3]) } : r));
    await expect(n.applier.applyHandoff(PARTITION, bad, { ringVersion: ring.version })).rejects.toThrow();
    expect(n.storage.countPartition(PARTITION)).toBe(0);
    await expect(n.applier.applyHandoff(8, incoming.slice(0, 1), { ringVersion: ring.version })).rejects.toThrow(/partition/);
  });

  it.each([
    ['throughput', THROUGHPUT_GRAIN],
    ['yielding', YIELDING_GRAIN],
  ])('%s grain: a message refused part-way (a malformed record in a later chunk) and sent again stores exactly what one clean message does', async (_name, grain) => {
    const clean = await node(grain);
    const retried = await node(grain);
    const base = await node(grain);
    const { before, incoming } = scenario(23);
    for (const n of [clean, retried, base]) expect((await n.applier.applyAll(before.map(item))).every((r) => r.status === ReplicaStatus.OK)).toBe(true);
    await clean.applier.applyHandoff(PARTITION, incoming, { ringVersion: ring.version });
    // The chunks before the bad record at 300 are merged (256 records in chunks of 128, 288 in chunks
    // of 32) before it refuses the message; nothing of its own chunk or after it is.
    const merged = Math.floor(300 / grain.chunkRecords) * grain.chunkRecords;
    const damaged = incoming.map((r, i) => (i === 300 ? { ...r, record: new Uint8Array([1, 2, 3]) } : r));
    await expect(retried.applier.applyHandoff(PARTITION, damaged, { ringVersion: ring.version })).rejects.toThrow();
    const held = (s: LmdbEngine, records: HandoffRecord[]) => records.map((r) => Buffer.from(s.get(r.bucketBytes, r.key, PARTITION)?.value ?? new Uint8Array(0)).toString('hex'));
    expect(held(retried.storage, incoming.slice(0, merged))).toEqual(held(clean.storage, incoming.slice(0, merged)));
    expect(held(retried.storage, incoming.slice(merged))).toEqual(held(base.storage, incoming.slice(merged)));
    // The sender resends the whole batch from its checkpoint: merging the same records again changes nothing.
    await retried.applier.applyHandoff(PARTITION, incoming, { ringVersion: ring.version });
    const all = (s: LmdbEngine) => s.scanPartition(PARTITION, { limit: 10_000 }).items.map((i) => ({ key: Buffer.from(i.key).toString(), value: Buffer.from(i.record.value).toString('hex'), due: i.record.dueAtMs, listed: i.record.listedUntilMs }));
    expect(all(retried.storage)).toEqual(all(clean.storage));
    expect(retried.storage.countPartition(PARTITION)).toBe(clean.storage.countPartition(PARTITION));
    expect(retried.storage.partitionBytes(PARTITION)).toBe(clean.storage.partitionBytes(PARTITION));
    expect(retried.storage.stats().bytes).toBe(clean.storage.stats().bytes);
    expect(retried.storage.listDue({ untilMs: Number.MAX_SAFE_INTEGER, limit: 10_000 }).length).toBe(clean.storage.listDue({ untilMs: Number.MAX_SAFE_INTEGER, limit: 10_000 }).length);
  });

  it('distrusts this node’s epochs named by a handed-off copy, as a replica write does', async () => {
    const n = await node();
    const epochs = (n.applier as unknown as { d: { epochs: ActorEpochs } }).d.epochs;
    const own = epochs.actorFor(undefined)!;
    const copy = applyWrite(undefined, undefined, own, { tombstone: false, value: enc('mine'), timestampMs: nowMs, expiresAtMs: 0 }, false);
    expect(epochs.actorFor(copy.context)).toBe(own);
    await n.applier.applyHandoff(PARTITION, [{ bucket: 'default', bucketBytes: enc('default'), key: enc('lost-here'), record: encodeRecord(copy) }], { ringVersion: ring.version });
    expect(epochs.actorFor(copy.context)).not.toBe(own);
  });
});

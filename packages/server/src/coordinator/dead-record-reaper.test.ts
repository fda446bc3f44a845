import { ReplicaOp, ReplicaStatus, newReplicaItemResult, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import { createRing } from '@quorumkv/ring';
import { createMemoryEngine } from '@quorumkv/storage';
import type { EffectiveBucket } from '../cluster/buckets.js';
import { systemTimers } from '../clock/timers.js';
import { applyWrite, decodeRecord, encodeRecord, storedForm, type KeyRecord } from '../record/key-record.js';
import { DeadRecordReaper } from './dead-record-reaper.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const BUCKET = enc('default');
const GRACE = 1_000;
const bucket: EffectiveBucket = { name: 'default', nameBytes: BUCKET, n: 3, r: 2, w: 2, lww: false, defaultTtlMs: 0, configured: { n: 3, w: 2 } };
type Item = Omit<ReplicaItem, 'id' | '$typeName'>;

describe('DeadRecordReaper: when a dead record may go', () => {
  let nowMs: number;
  let storage: ReturnType<typeof createMemoryEngine>;
  let up: Set<string>;
  let answer: (nodeId: string, item: Item) => ReplicaItemResult | Promise<ReplicaItemResult>;
  let resolveBucket: (name: string) => EffectiveBucket;
  let sent: { nodeId: string; op: ReplicaOp; record: Uint8Array }[];
  let warnings: string[];
  let reaper: DeadRecordReaper;
  const ring = createRing({ partitionCount: 8, nodes: ['a', 'b', 'c'].map((id) => ({ id, address: `${id}:1` })) });
  const ok = (record: Uint8Array = new Uint8Array(0)) => newReplicaItemResult(0n, ReplicaStatus.OK, '', record);
  const notFound = () => newReplicaItemResult(0n, ReplicaStatus.NOT_FOUND);

  const store = (key: string, record: KeyRecord) => storage.update(BUCKET, enc(key), () => storedForm(record, encodeRecord(record), GRACE), 0);
  const tombstone = (actor: string, context?: KeyRecord): KeyRecord =>
    applyWrite(context, context?.context, actor, { tombstone: true, value: new Uint8Array(0), timestampMs: nowMs, expiresAtMs: 0 }, false);
  const value = (actor: string, v: string, context?: KeyRecord): KeyRecord =>
    applyWrite(context, context?.context, actor, { tombstone: false, value: enc(v), timestampMs: nowMs, expiresAtMs: 0 }, false);

  beforeEach(() => {
    nowMs = 1_000_000;
    storage = createMemoryEngine({ partitionCount: 8, partitioner: () => 0, now: () => nowMs });
    up = new Set(['b', 'c']);
    sent = [];
    warnings = [];
    answer = (_id, item) => (item.op === ReplicaOp.READ ? notFound() : ok());
    resolveBucket = () => bucket;
    reaper = new DeadRecordReaper({
      selfId: 'a',
      storage,
      epochs: { distrustCopy: () => undefined, noteReaped: () => undefined, distrustAfterLostRecord: () => undefined },
      tombstoneGraceMs: GRACE,
      ring: () => ring,
      buckets: { resolve: (name) => resolveBucket(name) },
      hints: { pendingFor: (id) => storage.hasHints(id) },
      router: {
        isUp: (id) => up.has(id),
        send: async (nodeId, item) => {
          sent.push({ nodeId, op: item.op, record: item.record });
          return answer(nodeId, item);
        },
      },
      replicaTimeoutMs: 200,
      now: () => nowMs,
      timers: systemTimers,
      warn: (msg) => void warnings.push(msg),
    });
  });

  it('leaves a record alone before its due time, and reaps it when every other copy is the same and no hint exists', async () => {
    const dead = tombstone('a~x.1', value('a~x.1', 'v1'));
    await store('k', dead);
    nowMs += GRACE - 1;
    expect(await reaper.reapDue()).toEqual([]);
    nowMs += 1;
    answer = (_id, item) => (item.op === ReplicaOp.READ ? ok(encodeRecord(dead)) : ok());
    expect(await reaper.reapDue()).toEqual(['reaped']);
    expect(storage.get(BUCKET, enc('k'), 0)).toBeUndefined();
    expect(sent.filter((s) => s.op === ReplicaOp.HINTS_PENDING).map((s) => s.nodeId).sort()).toEqual(['b', 'c']);
  });

  it('drains a backlog far larger than one batch in one tick, considering each record once', async () => {
    // E.g. records written with a short TTL faster than one batch per tick (64 per 5 s by
    // default) could be reaped: the store would grow without bound.
    for (let i = 0; i < 300; i++) await store(`k${i}`, tombstone('a~x.1'));
    await store('held', tombstone('a~x.1'));
    nowMs += GRACE;
    // One record cannot go yet: it is postponed, and not considered again in this tick.
    answer = (_id, item) => (item.op === ReplicaOp.READ ? (new TextDecoder().decode(item.key) === 'held' ? ok(enc('different')) : notFound()) : ok());
    const outcomes = await reaper.reapDue();
    expect(outcomes.filter((o) => o === 'reaped')).toHaveLength(300);
    expect(outcomes.filter((o) => o !== 'reaped')).toEqual(['postponed']);
    expect(storage.listDue({ untilMs: nowMs, limit: 10 })).toEqual([]);
  });

  it('stops after the batch in progress, and says when it has ended', async () => {
    for (let i = 0; i < 100; i++) await store(`k${i}`, tombstone('a~x.1'));
    nowMs += GRACE;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    answer = async (_id, item) => {
      await held;
      return item.op === ReplicaOp.READ ? notFound() : ok();
    };
    reaper.start(5);
    // The first tick starts its first batch, which waits for its answers.
    await new Promise((r) => setTimeout(r, 30));
    let done = false;
    const stopped = reaper.stop().then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    release();
    await stopped;
    // That batch of 64 was reaped; no other was started.
    expect(storage.listDue({ untilMs: nowMs, limit: 200 })).toHaveLength(36);
  });

  it('reaps when the other primaries hold nothing', async () => {
    await store('k', tombstone('a~x.1'));
    nowMs += GRACE;
    expect(await reaper.reapDue()).toEqual(['reaped']);
  });

  it('keeps everything while any ring node is down, without even asking', async () => {
    await store('k', tombstone('a~x.1'));
    nowMs += GRACE;
    up.delete('c');
    expect(await reaper.reapDue()).toEqual([]);
    expect(sent).toEqual([]);
    expect(storage.get(BUCKET, enc('k'), 0)).toBeDefined();
  });

  it('checks its own hints without counting them (O(backlog) in LMDB, once per due record)', async () => {
    storage.countHints = () => {
      throw new Error('counted hints');
    };
    await store('k', tombstone('a~x.1'));
    await storage.addHint('b', { bucket: BUCKET, key: enc('other'), value: enc('x') });
    nowMs += GRACE;
    expect(await reaper.reapDue()).toEqual(['postponed']);
    expect(warnings).toEqual([]);
  });

  it('postpones while a node holds a hint for a primary, later and later', async () => {
    await store('k', tombstone('a~x.1'));
    nowMs += GRACE;
    answer = (id, item) => (item.op === ReplicaOp.HINTS_PENDING && id === 'c' ? newReplicaItemResult(0n, ReplicaStatus.CONFLICT) : item.op === ReplicaOp.READ ? notFound() : ok());
    expect(await reaper.reapDue()).toEqual(['postponed']);
    const first = storage.get(BUCKET, enc('k'), 0)!.dueAtMs!;
    expect(first).toBeGreaterThan(nowMs);
    nowMs = first + 5_000;
    expect(await reaper.reapDue()).toEqual(['postponed']);
    expect(storage.get(BUCKET, enc('k'), 0)!.dueAtMs! - nowMs).toBeGreaterThan(first - (1_000_000 + GRACE));
    // This node's own hints count too.
    answer = (_id, item) => (item.op === ReplicaOp.READ ? notFound() : ok());
    await storage.addHint('b', { bucket: BUCKET, key: enc('other'), value: enc('x') });
    nowMs += 20 * 60_000;
    expect(await reaper.reapDue()).toEqual(['postponed']);
  });

  it('does not reap when another copy differs: merges both ways instead', async () => {
    const v1 = value('a~x.1', 'v1');
    const dead = tombstone('a~x.1', v1);
    await store('k', dead);
    // c never got the tombstone but got a concurrent write.
    const theirs = value('c~y.1', 'concurrent', v1);
    nowMs += GRACE;
    answer = (id, item) => (item.op === ReplicaOp.READ ? (id === 'c' ? ok(encodeRecord(theirs)) : ok(encodeRecord(dead))) : ok());
    expect(await reaper.reapDue()).toEqual(['postponed']);
    const local = decodeRecord(storage.get(BUCKET, enc('k'), 0)!.value);
    expect(local.siblings.map((s) => s.node).sort()).toEqual(['a~x.1', 'c~y.1']);
    // The merged record is alive again: no due time, nothing more to reap.
    expect(storage.get(BUCKET, enc('k'), 0)!.dueAtMs).toBeUndefined();
    const repair = sent.find((s) => s.op === ReplicaOp.WRITE)!;
    expect(repair.nodeId).toBe('c');
    expect(Buffer.from(repair.record).equals(Buffer.from(encodeRecord(local)))).toBe(true);
  });

  it('postpones a record it cannot consider (unknown bucket) and goes on with the others', async () => {
    await storage.update(enc('unknown'), enc('k'), () => storedForm(tombstone('a~x.1'), encodeRecord(tombstone('a~x.1')), GRACE), 0);
    await store('k', tombstone('a~x.1'));
    nowMs += GRACE;
    resolveBucket = (name) => {
      if (name !== 'default') throw new Error(`bucket ${name} not found`);
      return bucket;
    };
    expect((await reaper.reapDue()).sort()).toEqual(['postponed', 'reaped']);
    expect(storage.get(enc('unknown'), enc('k'), 0)!.dueAtMs).toBeGreaterThan(nowMs);
  });

  it('postpones when a primary does not answer', async () => {
    await store('k', tombstone('a~x.1'));
    nowMs += GRACE;
    answer = (id, item) => (item.op === ReplicaOp.READ && id === 'b' ? newReplicaItemResult(0n, ReplicaStatus.TIMEOUT) : item.op === ReplicaOp.READ ? notFound() : ok());
    expect(await reaper.reapDue()).toEqual(['postponed']);
    expect(storage.get(BUCKET, enc('k'), 0)).toBeDefined();
  });

  it('never reaps a write that raced it', async () => {
    const dead = tombstone('a~x.1');
    await store('k', dead);
    nowMs += GRACE;
    answer = (_id, item) => {
      if (item.op === ReplicaOp.HINTS_PENDING) void store('k', value('b~z.1', 'newer', dead));
      return item.op === ReplicaOp.READ ? ok(encodeRecord(dead)) : ok();
    };
    expect(await reaper.reapDue()).toEqual(['postponed']);
    const after = decodeRecord(storage.get(BUCKET, enc('k'), 0)!.value);
    expect(after.siblings.map((s) => s.node)).toContain('b~z.1');
  });
});

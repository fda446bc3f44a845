import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryEngine, openLmdbEngine } from '@quorumkv/storage';
import { beginTransition, createRing, finishTransition, markDone, partitionTransfers, plan, preferenceListForPartition, type Ring } from '@quorumkv/ring';
import { VirtualClock } from '../sim/virtual-clock.js';
import { possibleHolders } from '../cluster/buckets.js';
import { OldCopies, dropPartitions, partitionsLost } from './old-copies.js';

const Q = 16;
const BUCKET = new TextEncoder().encode('b');

/** A 4-node ring, the transition in which n1 leaves (all partitions done) and its end. */
function leaveOfN1(): { start: Ring; last: Ring; end: Ring } {
  const start = createRing({ partitionCount: Q, nodes: ['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, address: `${id}:1` })), targetN: 3 });
  const last = markDone(beginTransition(start, plan(start, { leave: ['n1'] }), 3), Array.from({ length: Q }, (_, p) => p));
  return { start, last, end: finishTransition(last) };
}

/** n1 with one record in every partition, and new holders that confirm what `confirms` says. */
async function setUp(confirms: (holder: string, partitions: readonly number[], round: number) => readonly number[] | 'unreachable') {
  const clock = new VirtualClock(0);
  const storage = createMemoryEngine({ partitionCount: Q, partitioner: () => 0, now: () => clock.now() });
  for (let p = 0; p < Q; p++) await storage.update(BUCKET, new TextEncoder().encode(`k${p}`), () => ({ value: new Uint8Array([p]) }), p);
  const { start, last, end } = leaveOfN1();
  let ring = end;
  const asked: { holder: string; since: number; partitions: readonly number[]; at: number }[] = [];
  let left = 0;
  const rounds = new Map<string, number>();
  const copies = new OldCopies(
    {
      selfId: 'n1',
      storage,
      ring: () => ring,
      held: async (holder, since, partitions) => {
        asked.push({ holder, since, partitions, at: clock.now() });
        const round = (rounds.get(holder) ?? 0) + 1;
        rounds.set(holder, round);
        const answer = confirms(holder, partitions, round);
        if (answer === 'unreachable') throw new Error('unreachable');
        return answer;
      },
      replicaCount: () => 3,
      timers: clock.timersFor({ alive: true }),
      info: () => {},
      warn: () => {},
      onLeft: () => left++,
    },
    { minDelayMs: 100, maxDelayMs: 400, maxRounds: 4 },
  );
  const held = (): number => Array.from({ length: Q }, (_, p) => storage.countPartition(p)).reduce((a, b) => a + b, 0);
  return { clock, storage, copies, start, last, end, asked, held, left: () => left, setRing: (r: Ring) => (ring = r) };
}

describe('dropping copies after a transition finishes', () => {
  it('drops a partition only when every node that gained it confirms, then stops a node that left', async () => {
    const s = await setUp((_, partitions) => partitions);
    const lost = partitionsLost(s.last, s.end, 'n1');
    expect(lost.length).toBe(Q);
    s.copies.finished(s.last, s.end);
    await s.clock.run(0);
    // Each holder is asked once, about the partitions it gained, for this transition.
    const gained = new Map<string, number[]>();
    for (const p of lost) for (const t of partitionTransfers(s.last, p)) gained.set(t.to, [...(gained.get(t.to) ?? []), p]);
    expect(s.asked.map((a) => ({ holder: a.holder, since: a.since, partitions: a.partitions })).sort((a, b) => a.holder.localeCompare(b.holder))).toEqual(
      [...gained].sort(([a], [b]) => a.localeCompare(b)).map(([holder, partitions]) => ({ holder, since: s.last.transition!.since, partitions })),
    );
    expect({ held: s.held(), left: s.left() }).toEqual({ held: 0, left: 1 });
  });

  it('keeps every copy some node should have gained, and does not stop, when no new holder confirms (a forged finished ring)', async () => {
    const s = await setUp(() => []);
    s.copies.finished(s.last, s.end);
    await s.clock.run(10_000);
    // Asked in 4 rounds (0, 100, 300, 700 ms) and then kept. A partition nobody gains (n1 was not
    // among its first n replicas, so it held no replica of it) is dropped at once.
    expect([...new Set(s.asked.map((a) => a.at))]).toEqual([0, 100, 300, 700]);
    const gained = Array.from({ length: Q }, (_, p) => p).filter((p) => partitionTransfers(s.last, p).length > 0);
    expect(gained.length).toBeGreaterThan(Q / 2);
    expect({ held: s.held(), left: s.left() }).toEqual({ held: gained.length, left: 0 });
  });

  it('drops what is confirmed, asks again about the rest, and drops it once confirmed', async () => {
    // The first holder (by id) is down for two rounds.
    const late = [...new Set(Array.from({ length: Q }, (_, p) => partitionTransfers(leaveOfN1().last, p).map((t) => t.to)).flat())].sort()[0]!;
    const s = await setUp((holder, partitions, round) => (holder === late && round <= 2 ? 'unreachable' : partitions));
    s.copies.finished(s.last, s.end);
    await s.clock.run(0);
    const afterFirst = s.held();
    expect(afterFirst).toBeGreaterThan(0);
    expect(afterFirst).toBeLessThan(Q);
    expect(s.left()).toBe(0);
    await s.clock.run(1_000);
    expect({ held: s.held(), left: s.left() }).toEqual({ held: 0, left: 1 });
  });

  it('drops copies whose receiver died and was forced out once the next change rebuilt them elsewhere', async () => {
    // n1 left; one node that gained some of its partitions dies before confirming, and is forced
    // out by the next change, which gives its partitions to the others (rebuilt from survivors).
    const { last } = leaveOfN1();
    const dead = [...new Set(Array.from({ length: Q }, (_, p) => partitionTransfers(last, p).map((t) => t.to)).flat())].sort()[0]!;
    const s = await setUp((holder, partitions) => (holder === dead ? 'unreachable' : partitions));
    s.copies.finished(s.last, s.end);
    await s.clock.run(10_000);
    const orphaned = s.held();
    expect(orphaned).toBeGreaterThan(0);
    expect(s.left()).toBe(0);
    const last2 = markDone(beginTransition(s.end, plan(s.end, { leave: [dead] }), 3), Array.from({ length: Q }, (_, p) => p));
    const end2 = finishTransition(last2);
    s.setRing(end2);
    s.copies.finished(last2, end2);
    await s.clock.run(10_000);
    // Asked of the second change's receivers, for that change.
    expect(s.asked.filter((a) => a.since === last2.transition!.since).every((a) => a.holder !== dead)).toBe(true);
    // Only 2 nodes remain: a partition both already held is gained by nobody, so nobody can
    // confirm it for the dead one, and it is kept (a ring alone is no proof, as above).
    const unrescued = Array.from({ length: Q }, (_, p) => p).filter((p) => partitionTransfers(s.last, p).some((t) => t.to === dead) && partitionTransfers(last2, p).length === 0);
    expect(unrescued.length).toBeLessThan(orphaned);
    expect({ held: s.held(), left: s.left() }).toEqual({ held: unrescued.length, left: 0 });
  });

  it('keeps a partition the ring in force makes this node hold again', async () => {
    const s = await setUp((_, partitions) => partitions);
    // A later change brings n1 back into every partition's holders before the drop.
    s.setRing(s.start);
    expect(possibleHolders(s.start, 0)).toContain('n1');
    s.copies.finished(s.last, s.end);
    await s.clock.run(0);
    expect({ held: s.held(), left: s.left() }).toEqual({ held: Q, left: 0 });
  });
});

describe('a copy held again between rounds', () => {
  it('is kept once any ring gives it back, even if a later ring takes it away before the retry', async () => {
    let confirming = false;
    const s = await setUp((_, partitions) => (confirming ? partitions : []));
    s.copies.finished(s.last, s.end);
    await s.clock.run(0);
    const waiting = Array.from({ length: Q }, (_, p) => p).filter((p) => s.storage.countPartition(p) > 0);
    expect(waiting.length).toBeGreaterThan(0);
    // n1 is added back (a transition that gives it partitions again), and before the job's retry
    // the ring in force no longer gives them (that change abandoned): the old job's confirmations
    // do not cover what n1 may have taken meanwhile.
    const readded = beginTransition(s.end, plan(s.end, { join: [{ id: 'n1', address: 'n1:1' }] }), 3);
    const regained = waiting.filter((p) => possibleHolders(readded, p).includes('n1'));
    expect(regained.length).toBeGreaterThan(0);
    s.copies.ringChanged(s.end, readded);
    confirming = true;
    await s.clock.run(10_000);
    expect(s.held()).toBe(regained.length);
  });
});

describe('a node that missed the rings of a change', () => {
  /** 8 nodes, a ninth joins; `self` is a founder that loses some partitions (more than MAX_N nodes). */
  async function jump(confirms: (holder: string, since: number, orLater: boolean) => boolean) {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'];
    const start = createRing({ partitionCount: Q, nodes: ids.map((id) => ({ id, address: `${id}:1` })), targetN: 3 });
    const begun = beginTransition(start, plan(start, { join: [{ id: 'n9', address: 'n9:1' }] }), 3);
    const last = markDone(begun, Array.from({ length: Q }, (_, p) => p));
    const end = finishTransition(last);
    const self = ids.find((id) => partitionsLost(start, end, id).length > 0)!;
    const clock = new VirtualClock(0);
    const storage = createMemoryEngine({ partitionCount: Q, partitioner: () => 0, now: () => clock.now() });
    for (let p = 0; p < Q; p++) await storage.update(BUCKET, new TextEncoder().encode(`k${p}`), () => ({ value: new Uint8Array([p]) }), p);
    let ring = start;
    const asked: { holder: string; since: number; orLater: boolean; partitions: readonly number[] }[] = [];
    const copies = new OldCopies(
      {
        selfId: self,
        storage,
        ring: () => ring,
        held: async (holder, since, partitions, orLater) => {
          asked.push({ holder, since, orLater, partitions });
          return confirms(holder, since, orLater) ? partitions : [];
        },
        replicaCount: () => 3,
        timers: clock.timersFor({ alive: true }),
        info: () => {},
        warn: () => {},
        onLeft: () => {},
      },
      { minDelayMs: 100, maxDelayMs: 400, maxRounds: 4 },
    );
    const lost = partitionsLost(start, end, self);
    const heldLost = (): number => lost.map((p) => storage.countPartition(p)).reduce((a, b) => a + b, 0);
    const go = (...rings: Ring[]): Promise<void> => {
      let before = ring;
      for (const r of rings) {
        ring = r;
        copies.ringChanged(before, r);
        before = r;
      }
      return clock.run(10_000);
    };
    return { start, begun, last, end, self, lost, asked, heldLost, go };
  }

  it('drops what it lost once its new first replicas confirm any transition since its old ring', async () => {
    const s = await jump(() => true);
    expect(s.lost.length).toBeGreaterThan(0);
    await s.go(s.end);
    expect(s.heldLost()).toBe(0);
    // Asked of the nodes among each lost partition's first 3 replicas now that were not before.
    const newcomers = new Set(s.lost.flatMap((p) => preferenceListForPartition(s.end, p, 3).primaries.filter((id) => !preferenceListForPartition(s.start, p, 3).primaries.includes(id))));
    expect(new Set(s.asked.map((a) => a.holder))).toEqual(newcomers);
    expect(s.asked.every((a) => a.orLater && a.since === s.start.version + 1)).toBe(true);
    // Every partition it still may hold keeps its copy.
    expect(Array.from({ length: Q }, (_, p) => p).filter((p) => !s.lost.includes(p)).length).toBeGreaterThan(0);
  });

  it('keeps what it lost while a new holder does not confirm', async () => {
    const s = await jump((holder) => holder !== 'n9');
    await s.go(s.end);
    expect(s.asked.some((a) => a.holder === 'n9')).toBe(true);
    expect(s.heldLost()).toBeGreaterThan(0);
  });

  it('asks about the exact transition when it held every ring of the change', async () => {
    const s = await jump(() => true);
    await s.go(s.begun, s.last, s.end);
    expect(s.heldLost()).toBe(0);
    expect(s.asked.every((a) => !a.orLater && a.since === s.begun.transition!.since)).toBe(true);
  });
});

describe('copies still to drop across a restart', () => {
  it('a new instance on the same storage asks again and drops once confirmed', async () => {
    let confirming = false;
    const s = await setUp((_, partitions) => (confirming ? partitions : []));
    s.copies.finished(s.last, s.end);
    await s.clock.run(10_000);
    const kept = s.held();
    expect(kept).toBeGreaterThan(0);
    s.copies.stop();
    // The same data dir after a restart: the ring in force is the finished one.
    confirming = true;
    const asked: number[] = [];
    let left = 0;
    const again = new OldCopies(
      {
        selfId: 'n1',
        storage: s.storage,
        ring: () => s.end,
        held: async (_holder, since, partitions) => {
          asked.push(since);
          return partitions;
        },
        replicaCount: () => 3,
        timers: s.clock.timersFor({ alive: true }),
        info: () => {},
        warn: () => {},
        onLeft: () => left++,
      },
      { minDelayMs: 100, maxDelayMs: 400, maxRounds: 4 },
    );
    again.resume();
    await s.clock.run(1_000);
    expect(new Set(asked)).toEqual(new Set([s.last.transition!.since]));
    expect({ held: s.held(), left }).toEqual({ held: 0, left: 1 });
  });
});

describe('dropPartitions', () => {
  it('reaps a partition’s records many at a time (one commit for many), removing every one and nothing of other partitions, and stops at a partition held again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qkv-drop-'));
    const storage = await openLmdbEngine({ path: dir, partitionCount: Q, partitioner: () => 0, now: () => 0 });
    try {
      const enc = (s: string) => new TextEncoder().encode(s);
      for (const p of [2, 3]) await Promise.all(Array.from({ length: 700 }, (_, i) => storage.update(BUCKET, enc(`k${p}-${i}`), () => ({ value: enc(`v${i}`) }), p)));
      const reap = storage.reap.bind(storage);
      let inFlight = 0;
      let most = 0;
      storage.reap = async (...args) => {
        most = Math.max(most, ++inFlight);
        try {
          return await reap(...args);
        } finally {
          inFlight--;
        }
      };
      expect(await dropPartitions(storage, [2])).toBe(700);
      expect({ dropped: storage.countPartition(2), kept: storage.countPartition(3) }).toEqual({ dropped: 0, kept: 700 });
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(64);
      // A newer ring gives partition 3 back after the first slice: the rest of it is left alone.
      let asked = 0;
      expect(await dropPartitions(storage, [3], () => asked++ === 0)).toBe(64);
      expect(storage.countPartition(3)).toBe(700 - 64);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, it } from '@jest/globals';
import { HandoffLane, type LaneRelease } from './handoff-lane.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** Acquires in order, recording which callers hold a slot. */
function caller(lane: HandoffLane, name: string, held: string[], releases: Map<string, LaneRelease>): Promise<void> {
  return lane.acquire().then((release) => {
    held.push(name);
    releases.set(name, release);
  });
}

describe('HandoffLane', () => {
  it('holds at most depth chunks and hands freed slots to waiters in the order they asked', async () => {
    const lane = new HandoffLane(() => 2, () => Promise.resolve());
    const held: string[] = [];
    const releases = new Map<string, LaneRelease>();
    for (const name of ['a', 'b', 'c', 'd']) void caller(lane, name, held, releases);
    await settle();
    expect(held).toEqual(['a', 'b']);
    expect(lane.inUse).toBe(2);

    releases.get('b')!();
    // A caller arriving right after a release must not take the slot meant for the first waiter.
    void caller(lane, 'late', held, releases);
    await settle();
    expect(held).toEqual(['a', 'b', 'c']);
    expect(lane.inUse).toBe(2);

    releases.get('b')!(); // a second release of the same slot changes nothing
    await settle();
    expect(held).toEqual(['a', 'b', 'c']);

    releases.get('a')!();
    releases.get('c')!();
    await settle();
    expect(held).toEqual(['a', 'b', 'c', 'd', 'late']);
    releases.get('d')!();
    releases.get('late')!();
    expect(lane.inUse).toBe(0);
  });

  it('waits for a turn once the slot is held, and gives the slot back when the turn fails', async () => {
    let turns = 0;
    let failNext = false;
    const lane = new HandoffLane(() => 1, () => {
      turns++;
      return failNext ? Promise.reject(new Error('no turn')) : Promise.resolve();
    });
    failNext = true;
    await expect(lane.acquire()).rejects.toThrow('no turn');
    expect(lane.inUse).toBe(0);
    failNext = false;
    const release = await lane.acquire();
    expect(turns).toBe(2);
    expect(lane.inUse).toBe(1);
    release();
    expect(lane.inUse).toBe(0);
  });

  it('refuses a depth below 1', async () => {
    await expect(new HandoffLane(() => 0, () => Promise.resolve()).acquire()).rejects.toThrow(RangeError);
  });

  it('follows a depth that changes: a lower one as slots are given back, a higher one at the next release', async () => {
    let depth = 3;
    const lane = new HandoffLane(() => depth, () => Promise.resolve());
    const held: string[] = [];
    const releases = new Map<string, LaneRelease>();
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) void caller(lane, name, held, releases);
    await settle();
    expect(held).toEqual(['a', 'b', 'c']);
    depth = 1;
    releases.get('a')!();
    releases.get('b')!();
    await settle();
    expect({ held, inUse: lane.inUse }).toEqual({ held: ['a', 'b', 'c'], inUse: 1 });
    releases.get('c')!();
    await settle();
    expect({ held, inUse: lane.inUse }).toEqual({ held: ['a', 'b', 'c', 'd'], inUse: 1 });
    depth = 3;
    releases.get('d')!();
    await settle();
    expect({ held, inUse: lane.inUse }).toEqual({ held: ['a', 'b', 'c', 'd', 'e', 'f'], inUse: 2 });
  });
});

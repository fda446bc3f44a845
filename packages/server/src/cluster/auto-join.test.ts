import { createRing, type Ring } from '@quorumkv/ring';
import { AutoJoin, WAS_MEMBER_META } from './auto-join.js';

const ringOf = (ids: string[]): Ring => createRing({ partitionCount: 8, nodes: ids.map((id) => ({ id, address: `${id}:7070` })) });

/** A ring holder whose ring the test replaces, and a store in memory. */
function setUp(meta = new Map<string, Uint8Array>()) {
  const listeners: ((ring: Ring, bytes: Uint8Array) => void)[] = [];
  const ring = {
    current: ringOf(['n1', 'n2', 'n3']),
    onChange: (l: (ring: Ring, bytes: Uint8Array) => void) => void listeners.push(l),
  };
  const store = { getMeta: (name: string) => meta.get(name), setMeta: (name: string, value: Uint8Array) => Promise.resolve(void meta.set(name, value)) };
  let asked = 0;
  const autoJoin = new AutoJoin({ selfId: 'n4', ring, store, ask: () => Promise.resolve(void asked++), warn: () => undefined });
  const become = (next: Ring): void => {
    ring.current = next;
    for (const l of listeners) l(next, new Uint8Array());
  };
  return { autoJoin, become, meta, asked: () => asked };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('AutoJoin', () => {
  it('asks while no ring named the node, one request at a time', async () => {
    const s = setUp();
    s.autoJoin.tick();
    s.autoJoin.tick();
    expect(s.asked()).toBe(1);
    await settle();
    s.autoJoin.tick();
    expect(s.asked()).toBe(2);
  });

  it('does not ask while its ring is its own, and still may after it took a cluster that does not name it', async () => {
    const s = setUp();
    s.become(ringOf(['n4']));
    s.autoJoin.tick();
    expect({ asked: s.asked(), noted: s.meta.has(WAS_MEMBER_META) }).toEqual({ asked: 0, noted: false });
    s.become(ringOf(['n1', 'n2']));
    s.autoJoin.tick();
    expect(s.asked()).toBe(1);
  });

  it('never asks again once a ring named it, not after its leave, nor after a restart', async () => {
    const s = setUp();
    s.become(ringOf(['n1', 'n2', 'n3', 'n4']));
    await settle();
    expect(s.meta.has(WAS_MEMBER_META)).toBe(true);
    s.become(ringOf(['n1', 'n2', 'n3']));
    s.autoJoin.tick();
    expect(s.asked()).toBe(0);
    const restarted = setUp(s.meta);
    restarted.autoJoin.tick();
    expect(restarted.asked()).toBe(0);
  });
});

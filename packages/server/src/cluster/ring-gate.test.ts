import { Counter, Registry } from 'prom-client';
import { beginTransition, createRing, encodeRing, plan, type Ring } from '@quorumkv/ring';
import { RingGate, type RingSource } from './ring-gate.js';
import { RingState } from './ring-state.js';

const nodes = ['n1', 'n2', 'n3', 'n4'].map((id, i) => ({ id, address: `127.0.0.${i + 1}:7070` }));
const v1 = createRing({ partitionCount: 16, nodes, targetN: 3 });
const leaveOfN1: Ring = beginTransition(v1, plan(v1, { leave: ['n1'] }), 3);

function setUp(trustedSources: RingSource[]) {
  const ring = new RingState(v1);
  const hints: number[] = [];
  const removed: number[] = [];
  const refused = new Counter({ name: 'refused', help: 'refused', labelNames: ['source'] as const, registers: [new Registry()] });
  const gate = new RingGate({
    ring,
    selfId: 'n1',
    knows: () => true,
    refused,
    warn: () => {},
    now: () => 0,
    trusted: (source) => trustedSources.includes(source),
    hint: (version) => hints.push(version),
    removed: (version) => removed.push(version),
  });
  return { ring, gate, hints, removed };
}

describe('the ring gate', () => {
  it('takes a newer plausible ring from an authenticated sender as it is', () => {
    const s = setUp(['replica', 'gossip', 'pull']);
    s.gate.offer(encodeRing(leaveOfN1), leaveOfN1.version, 'replica');
    expect({ version: s.ring.current.version, hints: s.hints }).toEqual({ version: leaveOfN1.version, hints: [] });
  });

  it('takes a newer ring from a sender that is not authenticated only as a hint to pull it', () => {
    const s = setUp(['pull']);
    expect(s.gate.admit(encodeRing(leaveOfN1), leaveOfN1.version, 'gossip')).toBe(false);
    s.gate.offer(encodeRing(leaveOfN1), leaveOfN1.version, 'replica');
    expect({ version: s.ring.current.version, hints: s.hints }).toEqual({ version: v1.version, hints: [leaveOfN1.version, leaveOfN1.version] });
    // What the node pulls itself is taken in.
    s.gate.offer(encodeRing(leaveOfN1), leaveOfN1.version, 'pull');
    expect(s.ring.current.version).toBe(leaveOfN1.version);
  });

  it('gives no hint for a ring it refuses, nor for one that is not newer', () => {
    const s = setUp(['pull']);
    // Another partition count: refused outright (a ring that only drops this node is a hint, below).
    const forged = { ...createRing({ partitionCount: 8, nodes: [{ id: 'ghost', address: 'x:1' }], targetN: 1 }), version: 1001 };
    s.gate.offer(encodeRing(forged), 1001, 'replica');
    expect(s.gate.admit(encodeRing(v1), v1.version, 'gossip')).toBe(true);
    expect(s.hints).toEqual([]);
  });

  it('a well-formed ring that drops this node without a leave: from anyone a hint, from the claimant (pulled) a removal', () => {
    const s = setUp(['pull']);
    const without = { ...createRing({ partitionCount: 16, nodes: nodes.filter((n) => n.id !== 'n1'), targetN: 3 }), version: 7 };
    s.gate.offer(encodeRing(without), 7, 'replica');
    expect({ version: s.ring.current.version, hints: s.hints, removed: s.removed }).toEqual({ version: v1.version, hints: [7], removed: [] });
    s.gate.offer(encodeRing(without), 7, 'pull');
    expect({ version: s.ring.current.version, removed: s.removed }).toEqual({ version: v1.version, removed: [7] });
  });
});

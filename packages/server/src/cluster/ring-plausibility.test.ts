import { apply, beginTransition, createRing, encodeRing, finishTransition, markDone, plan, type Ring } from '@quorumkv/ring';
import { successorProblem, vetRing, type SuccessorFacts } from './ring-plausibility.js';

const nodes = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `127.0.0.${i + 1}:7070` }));
const v1 = createRing({ partitionCount: 64, nodes, targetN: 3 });
const facts = (known: string[] = []): SuccessorFacts => ({ selfId: 'n1', knows: (id) => ['n1', 'n2', 'n3', ...known].includes(id) });
const at = (ring: Ring, version: number): Ring => ({ ...ring, version });

describe('ring plausibility', () => {
  it('the forged ring of issue #17 (version 1001, only a made-up node) is refused: it drops this node', () => {
    const forged = at(createRing({ partitionCount: 64, nodes: [{ id: 'ghost', address: '10.9.9.9:1' }], targetN: 1 }), 1001);
    const verdict = vetRing(v1, encodeRing(v1), encodeRing(forged), 1001, facts());
    expect(verdict).toEqual({ kind: 'refused', reason: 'drops this node (n1), which has not left' });
  });

  it('a ring that adds a node gossip has never heard of is refused; one that gossip knows is a successor', () => {
    const joined = apply(v1, plan(v1, { join: [{ id: 'n4', address: '127.0.0.4:7070' }] }));
    expect(successorProblem(v1, joined, facts())).toBe('names nodes no member has heard of: n4');
    expect(successorProblem(v1, joined, facts(['n4']))).toBeUndefined();
    expect(vetRing(v1, encodeRing(v1), encodeRing(joined), joined.version, facts(['n4']))).toEqual({ kind: 'successor', ring: joined });
  });

  it('a ring may drop this node after one that had it leaving', () => {
    const leaving = apply(v1, plan(v1, { leave: ['n1'] }));
    expect(leaving.nodes.find((n) => n.id === 'n1')?.state).toBe('leaving');
    const without = apply(leaving, plan(leaving, { leave: ['n1'] }));
    expect(without.nodes.map((n) => n.id)).toEqual(['n2', 'n3']);
    expect(successorProblem(v1, without, facts())).toBe('drops this node (n1), which has not left');
    expect(successorProblem(leaving, without, facts())).toBeUndefined();
    // A committed leave is a transition whose target has this node leaving: the ring that finishes
    // it drops this node, whichever member (usually not this one) finished it.
    const inTransition = beginTransition(v1, plan(v1, { leave: ['n1'] }), 3);
    expect(inTransition.nodes.find((n) => n.id === 'n1')?.state).toBe('active');
    const finished = finishTransition(markDone(inTransition, inTransition.owners.map((_, p) => p)));
    expect(finished.nodes.map((n) => n.id)).toEqual(['n2', 'n3']);
    expect(successorProblem(inTransition, finished, facts())).toBeUndefined();
    // Another node may be dropped (a dead node removed by an operator).
    expect(successorProblem(v1, at(createRing({ partitionCount: 64, nodes: nodes.slice(0, 2), targetN: 2 }), 2), facts())).toBeUndefined();
  });

  it('another partition count, a version other than declared, bad bytes and a different ring at our version are refused', () => {
    const bytes = encodeRing(v1);
    const q128 = at(createRing({ partitionCount: 128, nodes, targetN: 3 }), 2);
    expect(vetRing(v1, bytes, encodeRing(q128), 2, facts())).toEqual({ kind: 'refused', reason: 'changes the partition count from 64 to 128' });
    const v2 = at(createRing({ partitionCount: 64, nodes: [...nodes].reverse(), targetN: 2 }), 2);
    expect(vetRing(v1, bytes, encodeRing(v2), 7, facts())).toEqual({ kind: 'refused', reason: 'declared version 7, but the ring is version 2' });
    const flipped = encodeRing(v2);
    flipped[10] = flipped[10]! ^ 0xff;
    expect(vetRing(v1, bytes, flipped, 2, facts())).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/checksum mismatch/) });
    expect(vetRing(v1, bytes, encodeRing(at(v2, 1)), 1, facts())).toEqual({ kind: 'refused', reason: "a different ring at this node's version 1" });
  });

  it('an older ring, or our own again, is stale: nothing to adopt, nothing refused', () => {
    const v5 = at(v1, 5);
    expect(vetRing(v5, encodeRing(v5), encodeRing(v1), 1, facts())).toEqual({ kind: 'stale' });
    expect(vetRing(v1, encodeRing(v1), encodeRing(v1), 1, facts())).toEqual({ kind: 'stale' });
  });
});

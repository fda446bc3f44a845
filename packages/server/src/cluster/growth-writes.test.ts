import { beginTransition, createRing, type Ring, type RingNodeInit } from '@quorumkv/ring';
import { growthRefusal } from './growth-writes.js';

const node = (id: string): RingNodeInit => ({ id, address: `${id}:7070` });
const ringOf = (ids: string[], targetN = 3): Ring => createRing({ partitionCount: 16, targetN, nodes: ids.map(node) });

describe('growthRefusal', () => {
  it('refuses writes while a ring of fewer nodes than the grown w grows, and only then', () => {
    const lone = ringOf(['a'], 1);
    const growing = beginTransition(lone, ringOf(['a', 'b', 'c']), 3);
    expect(growthRefusal(growing, 3, 2)).toMatch(/^the cluster grows from 1 to 3 nodes \(ring version \d+\): a write now would get 1 of the 2 copies/);
    // Without a transition, or at w = 1, or when the ring already has w nodes: nothing to refuse.
    expect(growthRefusal(lone, 3, 2)).toBeUndefined();
    expect(growthRefusal(growing, 3, 1)).toBeUndefined();
    expect(growthRefusal(growing, 1, 2)).toBeUndefined();
    const three = ringOf(['a', 'b', 'c']);
    expect(growthRefusal(beginTransition(three, ringOf(['a', 'b', 'c', 'd']), 3), 3, 2)).toBeUndefined();
    expect(growthRefusal(beginTransition(ringOf(['a', 'b'], 2), ringOf(['a', 'b', 'c']), 3), 3, 2)).toBeUndefined();
    expect(growthRefusal(beginTransition(ringOf(['a', 'b'], 2), ringOf(['a', 'b', 'c']), 3), 3, 3)).toMatch(/grows from 2 to 3 nodes/);
  });
});

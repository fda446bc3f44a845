import { ownershipTable } from './ownership.js';

describe('ownershipTable', () => {
  it('counts partitions per node and compares them with the weighted fair share', () => {
    const { rows, maxOverMean } = ownershipTable({
      owners: [0, 1, 2, 0, 1, 2, 0, 1],
      nodes: [
        { id: 'n1', weight: 1 },
        { id: 'n2', weight: 1 },
        { id: 'n3', weight: 1 },
      ],
    });
    expect(rows.map((r) => [r.nodeId, r.partitions])).toEqual([['n1', 3], ['n2', 3], ['n3', 2]]);
    expect(rows[0]!.share).toBeCloseTo(3 / 8);
    expect(rows[2]!.balance).toBeCloseTo(2 / (8 / 3));
    expect(maxOverMean).toBeCloseTo(3 / (8 / 3));
  });
  it('uses weights for the fair share', () => {
    const { rows } = ownershipTable({ owners: [0, 0, 0, 1], nodes: [{ id: 'big', weight: 3 }, { id: 'small', weight: 1 }] });
    expect(rows.map((r) => r.balance)).toEqual([1, 1]);
  });
  it('refuses an owner index with no node', () => {
    expect(() => ownershipTable({ owners: [0, 5], nodes: [{ id: 'n1', weight: 1 }] })).toThrow(/owner index 5/);
  });
});

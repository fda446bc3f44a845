import { NEMESIS_KINDS, partitionLinks, planNemesis } from './nemesis-schedule.js';
import { SeededRandom } from '@quorumkv/harness';

describe('planNemesis', () => {
  const plan = (seed: number) => planNemesis({ random: new SeededRandom(seed), nodes: 5, kinds: NEMESIS_KINDS, durationMs: 300_000 });

  it('is the same plan for the same seed and another for another seed', () => {
    expect(plan(7)).toEqual(plan(7));
    expect(plan(7)).not.toEqual(plan(8));
  });

  it('keeps windows apart, inside the run, and faults a minority of nodes', () => {
    const windows = plan(3);
    expect(windows.length).toBeGreaterThan(10);
    for (const [i, w] of windows.entries()) {
      expect(w.endMs).toBeLessThanOrEqual(300_000);
      expect(w.startMs).toBeGreaterThanOrEqual((windows[i - 1]?.endMs ?? 0) + 2_000);
      if ('nodes' in w) expect(w.nodes.length).toBeLessThanOrEqual(2);
    }
    expect(new Set(windows.map((w) => w.kind))).toEqual(new Set(NEMESIS_KINDS));
  });

  it('alternates joins and leaves, never below the starting nodes, and faults only members', () => {
    let members = [0, 1, 2, 3, 4];
    let next = 5;
    let changes = 0;
    for (const w of plan(5)) {
      const touched = w.kind === 'membership' ? [] : 'nodes' in w ? w.nodes : w.links.flat();
      for (const i of touched) expect({ window: w, member: members.includes(i) }).toEqual({ window: w, member: true });
      if (w.kind !== 'membership') continue;
      changes++;
      if (w.action === 'join') {
        expect({ members: members.length, node: w.node }).toEqual({ members: 5, node: next++ });
        members = [...members, w.node];
      } else {
        expect(members).toContain(w.node);
        expect(members.length).toBe(6);
        members = members.filter((m) => m !== w.node);
      }
    }
    expect(changes).toBeGreaterThanOrEqual(2); // a join and a leave at least
  });
});

describe('partitionLinks', () => {
  const all = [0, 1, 2, 3, 4];
  const reach = (links: readonly (readonly [number, number])[], from: number, to: number): boolean => !links.some(([a, b]) => a === from && b === to);

  it('isolates one node both ways', () => {
    const links = partitionLinks(new SeededRandom(1), 'isolate', all);
    expect(links).toHaveLength(8);
    const alone = links[0]![0];
    for (const other of all.filter((i) => i !== alone)) expect(reach(links, alone, other) || reach(links, other, alone)).toBe(false);
  });

  it('leaves a bridge node that reaches both sides while they cannot reach each other', () => {
    const links = partitionLinks(new SeededRandom(2), 'bridge', all);
    const bridge = all.find((i) => links.every(([a, b]) => a !== i && b !== i))!;
    expect(bridge).toBeDefined();
    expect(links).toHaveLength(2 * 2 * 2);
  });

  it('cuts one direction only', () => {
    const links = partitionLinks(new SeededRandom(3), 'one-way', all);
    const from = links[0]![0];
    expect(links.every(([a]) => a === from)).toBe(true);
    expect(links).toHaveLength(4);
  });
});

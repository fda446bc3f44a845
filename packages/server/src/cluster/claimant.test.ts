import type { MemberInfo, MetadataEntry } from '@quorumkv/gossip';
import { createRing, pendingPartitions, transfersOf, type Ring } from '@quorumkv/ring';
import { NodeClusterChangeError } from '../errors/errors.js';
import { Claimant, HANDOFF_METADATA_PREFIX, encodeMemberMeta, transferKey, type ClaimantGossip, type HandoffReport } from './claimant.js';
import { RingState } from './ring-state.js';

/** Gossip as the claimant sees it: members with their state and meta, metadata (highest version wins), who is up. */
class FakeGossip implements ClaimantGossip {
  readonly members = new Map<string, MemberInfo>();
  readonly metadata = new Map<string, MetadataEntry>();
  readonly down = new Set<string>();
  readonly list = {
    member: (id: string): MemberInfo | undefined => this.members.get(id),
    getMetadata: (key: string): MetadataEntry | undefined => this.metadata.get(key),
    setMetadata: (key: string, version: number, value: Uint8Array): boolean => {
      if ((this.metadata.get(key)?.version ?? -1) >= version) return false;
      this.metadata.set(key, { key, version, value });
      return true;
    },
  };

  isUp(id: string): boolean {
    return !this.down.has(id);
  }

  addMember(id: string, zone = 'default', weight = 1): void {
    this.members.set(id, { id, address: `${id}:7070`, state: 'alive', incarnation: 1, meta: encodeMemberMeta(zone, weight), stateChangedAtMs: 0 });
  }

  report(node: string, report: HandoffReport): void {
    this.list.setMetadata(HANDOFF_METADATA_PREFIX + node, (this.metadata.get(HANDOFF_METADATA_PREFIX + node)?.version ?? 0) + 1, new TextEncoder().encode(JSON.stringify(report)));
  }
}

function setUp(selfId = 'n1'): { gossip: FakeGossip; ring: RingState; claimant: (id?: string) => Claimant } {
  const gossip = new FakeGossip();
  const ring = new RingState(createRing({ partitionCount: 32, nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, address: `${id}:7070` })) }));
  let clock = 1_000;
  const claimant = (id = selfId): Claimant =>
    new Claimant({ selfId: id, ring, membership: gossip, transitionN: () => 3, definedN: 3, partitionStats: () => undefined, now: () => clock++, info: () => undefined });
  return { gossip, ring, claimant };
}

describe('Claimant', () => {
  it('is the lowest-id ring member that is up', () => {
    const { gossip, claimant } = setUp('n2');
    expect(claimant().claimantId()).toBe('n1');
    expect(claimant().isClaimant()).toBe(false);
    gossip.down.add('n1');
    expect(claimant().isClaimant()).toBe(true);
  });

  it('stages a live member with the zone and weight it announced, and the next claimant sees the staged changes', () => {
    const { gossip, claimant } = setUp();
    expect(() => claimant().stageJoin('n4')).toThrow(/n4 is not a live member of this cluster/);
    expect(() => claimant().stageJoin('n2')).toThrow(/already a ring member/);
    gossip.addMember('n4', 'z2', 3);
    expect(claimant().stageJoin('n4').joins).toEqual([{ id: 'n4', address: 'n4:7070', zone: 'z2', weight: 3 }]);
    expect(claimant().stageLeave('n3').leaves).toEqual(['n3']);
    expect(() => claimant().stageLeave('n9')).toThrow(NodeClusterChangeError);
    // Another node (the next claimant) reads the same gossiped entry.
    expect(claimant('n2').staged()).toEqual({ joins: [{ id: 'n4', address: 'n4:7070', zone: 'z2', weight: 3 }], leaves: ['n3'] });
    expect(claimant().clear()).toBe(true);
    expect(claimant('n2').staged()).toEqual({ joins: [], leaves: [] });
    expect(claimant().clear()).toBe(false);
  });

  it('refuses plans and commits that cannot be made, changing nothing', () => {
    const { gossip, ring, claimant } = setUp();
    expect(() => claimant().plan()).toThrow(/nothing staged/);
    claimant().stageLeave('n3');
    expect(() => claimant().plan()).toThrow(/leave 2 active nodes, fewer than n = 3/);
    claimant().clear();
    gossip.addMember('n4');
    claimant().stageJoin('n4');
    expect(() => claimant().commit(7)).toThrow(/made for ring version 7, the ring is at version 1/);
    expect(ring.current.version).toBe(1);
    expect(claimant().staged().joins.map((j) => j.id)).toEqual(['n4']);
    claimant().commit(1);
    claimant().stageLeave('n2');
    expect(() => claimant().commit(0)).toThrow(/transition in progress/);
  });

  it('marks done only partitions whose every transfer was reported for this transition, then finishes it', () => {
    const { gossip, ring, claimant } = setUp();
    gossip.addMember('n4');
    gossip.addMember('n5');
    claimant().stageJoin('n4');
    claimant().stageJoin('n5');
    const planned = claimant().plan();
    const begun = claimant().commit(1);
    expect(begun.transition!.since).toBe(2);
    const transfers = transfersOf(begun);
    // A partition that both joiners enter: it is done only once both copies are reported.
    const both = transfers.find((t) => transfers.filter((u) => u.partition === t.partition).length === 2)!;
    expect(both).toBeDefined();
    const [a, b] = transfers.filter((t) => t.partition === both.partition);
    gossip.report('n2', { since: 2, done: [transferKey(a!.partition, a!.to)] });
    // A report of another transition counts for nothing; a node that is not the claimant changes nothing.
    gossip.report('n3', { since: 99, done: transfers.map((t) => transferKey(t.partition, t.to)) });
    claimant('n2').advance();
    expect(ring.current.version).toBe(2);
    claimant().advance();
    expect(ring.current.version).toBe(2);
    expect(pendingPartitions(ring.current)).toContain(both.partition);
    gossip.report('n2', { since: 2, done: [a, b].map((t) => transferKey(t!.partition, t!.to)) });
    claimant().advance();
    expect(ring.current.version).toBe(3);
    expect(pendingPartitions(ring.current)).not.toContain(both.partition);
    expect(ring.current.transition).toBeDefined();
    gossip.report('n3', { since: 2, done: transfers.map((t) => transferKey(t.partition, t.to)) });
    claimant().advance();
    const finished: Ring = ring.current;
    expect(finished.transition).toBeUndefined();
    expect(finished.version).toBe(5);
    expect(finished.owners).toEqual(planned.begun.transition!.owners);
  });

  it('stages a replacement: every partition of the old node goes to the new one and nothing else moves', () => {
    const { gossip, ring, claimant } = setUp();
    expect(() => claimant().stageReplace('n2', 'n4')).toThrow(/new_node_id: node n4 is not a live member/);
    expect(() => claimant().stageReplace('n9', 'n4')).toThrow(/old_node_id: node n9 is not a ring member/);
    gossip.addMember('n4');
    expect(() => claimant().stageReplace('n2', 'n3')).toThrow(/new_node_id: node n3 is already a ring member/);
    expect(claimant().stageReplace('n2', 'n4').replacements).toEqual([{ old: 'n2', node: { id: 'n4', address: 'n4:7070', zone: 'default', weight: 1 } }]);
    expect(() => claimant().stageLeave('n2')).toThrow(/node_id: node n2 is already staged to go/);
    expect(() => claimant().stageReplace('n2', 'n4')).toThrow(/old_node_id: node n2 is already staged to go/);
    const { summary, begun } = claimant().plan();
    const owned = ring.current.owners.flatMap((o, p) => (o === 'n2' ? [p] : []));
    expect(summary.ownerChanges.map((m) => [m.partition, m.from, m.to])).toEqual(owned.map((p) => [p, 'n2', 'n4']));
    expect(begun.transition!.nodes.find((n) => n.id === 'n2')!.state).toBe('leaving');
  });

  it('stages manual moves to active members, refusing partitions out of range and non-members', () => {
    const { ring, claimant } = setUp();
    expect(() => claimant().stageMove([1], 'n9')).toThrow(/to_node: node n9 is not a ring member/);
    expect(() => claimant().stageMove([32], 'n1')).toThrow(/partitions: 32 is not in 0..31/);
    expect(() => claimant().stageMove([], 'n1')).toThrow(/partitions: name at least one/);
    const notN3 = ring.current.owners.flatMap((o, p) => (o !== 'n3' ? [p] : [])).slice(0, 3);
    claimant().stageMove(notN3, 'n3');
    const { summary } = claimant().plan();
    expect(summary.ownerChanges.map((m) => m.partition)).toEqual(notN3);
    expect(summary.ownerChanges.every((m) => m.to === 'n3')).toBe(true);
  });

  it('force-removes only a node that is down, never the last one, and gives up transfers to it mid-change', () => {
    const { gossip, ring, claimant } = setUp();
    expect(() => claimant().stageForceRemove('n3')).toThrow(/node_id: node n3 is up: use `cluster leave`/);
    gossip.down.add('n3');
    expect(claimant().stageForceRemove('n3').forceRemoves).toEqual(['n3']);
    expect(() => claimant().stageForceRemove('n3')).toThrow(/already staged to go/);
    // Two of three nodes would remain, fewer than n = 3.
    expect(() => claimant().plan()).toThrow(/leave 2 active nodes, fewer than n = 3/);
    claimant().clear();

    // A joiner dies mid-change: forcing it out lets the transition finish without its transfers.
    gossip.down.delete('n3');
    gossip.addMember('n4');
    claimant().stageJoin('n4');
    const begun = claimant().commit(1);
    const others = transfersOf(begun).filter((t) => t.to !== 'n4');
    gossip.report('n1', { since: begun.transition!.since, done: others.map((t) => transferKey(t.partition, t.to)) });
    claimant().advance();
    expect(ring.current.transition).toBeDefined();
    gossip.down.add('n4');
    claimant().stageForceRemove('n4');
    claimant().advance();
    expect(ring.current.transition).toBeUndefined();
    expect(ring.current.nodes.map((n) => n.id)).toContain('n4');
    const { summary } = claimant().plan();
    expect(summary.ownerChanges.every((m) => m.from === 'n4')).toBe(true);
    claimant().commit(0);
    expect(targetOwners(ring.current)).not.toContain('n4');
  });

  it('covers the replica count of the grown ring when a ring smaller than n grows', () => {
    // Two nodes with n = 3 keep two copies; joined by a third, the transfers must give it every
    // partition (n = 3 of three members), not only those it is among the first two of.
    const gossip = new FakeGossip();
    const ring = new RingState(createRing({ partitionCount: 16, nodes: ['n1', 'n2'].map((id) => ({ id, address: `${id}:7070` })) }));
    const asked: number[] = [];
    const transitionN = (members: number): number => (asked.push(members), Math.min(3, members));
    const c = new Claimant({ selfId: 'n1', ring, membership: gossip, transitionN, definedN: 3, partitionStats: () => undefined, now: () => 1, info: () => undefined });
    gossip.addMember('n3');
    c.stageJoin('n3');
    const begun = c.commit(0);
    expect(asked).toEqual([3]);
    expect(begun.transition?.n).toBe(3);
    expect(new Set(transfersOf(begun).filter((t) => t.to === 'n3').map((t) => t.partition)).size).toBe(16);
  });

  it('refuses a departure that would leave no active node', () => {
    const gossip = new FakeGossip();
    const ring = new RingState(createRing({ partitionCount: 8, nodes: [{ id: 'solo', address: 'solo:7070' }] }));
    const c = new Claimant({ selfId: 'solo', ring, membership: gossip, transitionN: () => 1, definedN: 3, partitionStats: () => undefined, now: () => 1, info: () => undefined });
    expect(() => c.stageLeave('solo')).toThrow(/node_id: node solo is the last active node/);
    gossip.down.add('solo');
    expect(() => c.stageForceRemove('solo')).toThrow(/last active node/);
    expect(c.staged()).toEqual({ joins: [], leaves: [] });
  });
});

function targetOwners(ring: Ring): readonly string[] {
  return ring.transition?.owners ?? ring.owners;
}

import { GossipConfigError, GossipStateError } from './errors.js';
import type { MembershipEvent } from './events.js';
import { createMemberlist, type Memberlist } from './memberlist.js';
import type { GossipMessage } from './messages.js';
import { Prng } from './test-support/prng.js';
import { Simulator } from './test-support/simulator.js';

const b = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A node wired to a recording transport and a hand-driven clock. */
function harness(id = 'a') {
  const sent: { to: string; message: GossipMessage }[] = [];
  const clock = { now: 0 };
  const rng = new Prng(1);
  const ml = createMemberlist({
    self: { id, address: `${id}:1` },
    transport: { send: (to, message) => sent.push({ to, message }) },
    random: () => rng.next(),
    now: () => clock.now,
  });
  const events: MembershipEvent[] = [];
  ml.on((e) => events.push(e));
  return { ml, sent, clock, events };
}

function cluster(n: number, seed = 3): Simulator {
  const sim = new Simulator({ seed });
  for (let i = 0; i < n; i++) sim.addNode(`n${i}`, i === 0 ? [] : ['n0']);
  sim.run(5000);
  return sim;
}

const ml = (sim: Simulator, id: string): Memberlist => sim.get(id).ml as Memberlist;

describe('memberlist', () => {
  test('rejects a bad config with the field name', () => {
    expect(() => createMemberlist({ self: { id: 'a', address: 'x' }, config: { gossipNodes: 0 }, transport: { send: () => {} }, random: Math.random, now: () => 0 })).toThrow(
      expect.objectContaining({ name: 'GossipConfigError', field: 'gossipNodes' }),
    );
    expect(GossipConfigError).toBeDefined();
  });

  test('join sends our state to the seeds and retries until someone answers', () => {
    const { ml, sent, clock } = harness();
    ml.join(['s:1', 'a:1']);
    expect(sent.map((s) => [s.to, s.message.type])).toEqual([['s:1', 'push-pull']]);
    sent.length = 0;
    clock.now = 1500;
    ml.tick();
    expect(sent.some((s) => s.to === 's:1' && s.message.type === 'push-pull')).toBe(true);
  });

  test('answers pings only when addressed by id, with its own record', () => {
    const { ml, sent } = harness();
    ml.receive('x', { type: 'ping', seq: 9, sourceId: 'b', sourceAddress: 'b:1', targetId: 'someone-else', gossip: [] });
    expect(sent).toEqual([]);
    ml.receive('x', { type: 'ping', seq: 9, sourceId: 'b', sourceAddress: 'b:1', targetId: 'a', gossip: [] });
    expect(sent[0]?.to).toBe('b:1');
    expect(sent[0]?.message).toMatchObject({ type: 'ack', seq: 9, gossip: [{ kind: 'alive', id: 'a', incarnation: 0 }] });
  });

  test('refutes an accusation with a higher incarnation and is readier to blame itself', () => {
    const { ml, sent } = harness();
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [{ kind: 'suspect', id: 'a', incarnation: 0, from: 'b' }] });
    expect(ml.member('a')?.incarnation).toBe(1);
    expect(ml.localHealthScore()).toBe(1);
    ml.receive('x', { type: 'ping', seq: 1, sourceId: 'b', sourceAddress: 'b:1', targetId: 'a', gossip: [] });
    const ack = sent.at(-1)?.message;
    expect(ack?.type === 'ack' ? ack.gossip[0] : undefined).toMatchObject({ kind: 'alive', id: 'a', incarnation: 1 });
  });

  test('merges member updates by incarnation and emits typed events', () => {
    const { ml, events } = harness();
    const alive = (inc: number, address = 'b:1', meta = '') => ({ kind: 'alive' as const, id: 'b', address, incarnation: inc, meta: b(meta) });
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(0)] });
    ml.receive('x', { type: 'gossip', sourceId: 'c', gossip: [{ kind: 'suspect', id: 'b', incarnation: 0, from: 'c' }] });
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(0)] }); // not newer: stays suspect
    expect(ml.member('b')?.state).toBe('suspect');
    expect(ml.isAlive('b')).toBe(false);
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(1)] });
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(2, 'b:1', 'zone=x')] });
    ml.receive('x', { type: 'gossip', sourceId: 'c', gossip: [{ kind: 'dead', id: 'b', incarnation: 2, from: 'c' }] });
    // a dead member's refutation from a new address is accepted at once; a stale one is not
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(3, 'b:2')] });
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(2, 'b:3')] });
    expect(ml.member('b')).toMatchObject({ address: 'b:2', state: 'alive', incarnation: 3 });
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [{ kind: 'left', id: 'b', incarnation: 3 }] });
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(4, 'b:3')] });
    expect(events.map((e) => e.type)).toEqual(['joined', 'suspect', 'alive', 'updated', 'dead', 'alive', 'left', 'joined']);
    expect(ml.member('b')).toMatchObject({ address: 'b:3', state: 'alive', incarnation: 4 });
  });

  test('an alive member claimed at a new address moves once its old address is silent, and stays when it answers there', () => {
    const { ml, sent, clock, events } = harness();
    const alive = (inc: number, address: string) => ({ kind: 'alive' as const, id: 'b', address, incarnation: inc, meta: b('') });
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(0, 'b:1')] });
    sent.length = 0;
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(1, 'b:2')] });
    // Not yet: the old address is probed first.
    expect(ml.member('b')).toMatchObject({ address: 'b:1', incarnation: 0 });
    expect(sent).toEqual([expect.objectContaining({ to: 'b:1', message: expect.objectContaining({ type: 'ping', targetId: 'b' }) })]);
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(2, 'b:2')] });
    clock.now = 1000;
    ml.tick();
    expect(ml.member('b')).toMatchObject({ address: 'b:2', state: 'alive', incarnation: 2 });
    expect(events.at(-1)).toMatchObject({ type: 'updated', member: { address: 'b:2' } });

    // Another claim, but a process still answers at b:2: two processes claim the id, the first keeps it.
    sent.length = 0;
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(3, 'b:3')] });
    const probe = sent.find((s) => s.to === 'b:2' && s.message.type === 'ping')?.message;
    expect(probe?.type).toBe('ping');
    ml.receive('x', { type: 'ack', seq: probe?.type === 'ping' ? probe.seq : -1, sourceId: 'b', gossip: [] });
    clock.now = 3000;
    ml.tick();
    // Refused, but its incarnation stands (it refuted whatever it was accused of).
    expect(ml.member('b')).toMatchObject({ address: 'b:2', incarnation: 3, state: 'alive' });
    // The same refused claim is not probed again.
    sent.length = 0;
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [alive(3, 'b:3')] });
    expect(sent.filter((s) => s.to === 'b:2' && s.message.type === 'ping' && s.message.targetId === 'b')).toEqual([]);
  });

  test('a state exchange records members it has never seen in the state the sender has them', () => {
    const { ml } = harness();
    const member = (id: string, state: 'alive' | 'suspect' | 'dead' | 'left') => ({ id, address: `${id}:1`, state, incarnation: 4, meta: b('') });
    ml.receive('x', {
      type: 'push-pull',
      sourceId: 'b',
      sourceAddress: 'b:1',
      join: false,
      reply: true,
      members: [member('b', 'alive'), member('c', 'dead'), member('d', 'left'), member('e', 'suspect')],
      metadata: [],
    });
    expect(ml.members().map((m) => `${m.id}:${m.state}@${m.incarnation}`)).toEqual(['a:alive@0', 'b:alive@4', 'c:dead@4', 'd:left@4', 'e:suspect@4']);
    expect(ml.isAlive('c')).toBe(false);
  });

  test('cluster metadata: highest version wins, events fire, re-entrant listeners are safe', () => {
    const { ml, events } = harness();
    let reentered = false;
    ml.on((e) => {
      if (e.type === 'metadata' && e.version === 2 && !reentered) {
        reentered = true;
        ml.setMetadata('other', 1, b('x'));
      }
    });
    expect(ml.setMetadata('ring', 2, b('v2'))).toBe(true);
    expect(ml.setMetadata('ring', 1, b('v1'))).toBe(false);
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [{ kind: 'metadata', key: 'ring', version: 2, value: b('v3') }] });
    expect(ml.getMetadata('ring')).toEqual({ key: 'ring', version: 2, value: b('v3') });
    expect(events.filter((e) => e.type === 'metadata').map((e) => (e.type === 'metadata' ? `${e.key}@${e.version}` : ''))).toEqual(['ring@2', 'other@1', 'ring@2']);
    expect(() => ml.setMetadata('ring', -1, b(''))).toThrow(GossipStateError);
  });

  test('metadata the host refuses is dropped from gossip and push-pull: not stored, not passed on, no event', () => {
    const sent: { to: string; message: GossipMessage }[] = [];
    const rng = new Prng(1);
    const vetted: string[] = [];
    const ml = createMemberlist({
      self: { id: 'a', address: 'a:1' },
      transport: { send: (to, message) => sent.push({ to, message }) },
      random: () => rng.next(),
      now: () => 0,
      acceptMetadata: (e) => {
        vetted.push(`${e.key}@${e.version}`);
        return e.version < 1000;
      },
    });
    const events: MembershipEvent[] = [];
    ml.on((e) => events.push(e));
    ml.setMetadata('ring', 1, b('mine'));
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [{ kind: 'metadata', key: 'ring', version: 1001, value: b('forged') }] });
    ml.receive('x', {
      type: 'push-pull',
      sourceId: 'b',
      sourceAddress: 'b:1',
      join: false,
      reply: false,
      members: [{ id: 'b', address: 'b:1', state: 'alive', incarnation: 0, meta: b('') }],
      metadata: [{ key: 'ring', version: 1002, value: b('forged') }],
    });
    expect(ml.getMetadata('ring')).toEqual({ key: 'ring', version: 1, value: b('mine') });
    // Local publication is not vetted; the genuine next version from a peer still gets in.
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [{ kind: 'metadata', key: 'ring', version: 2, value: b('next') }] });
    expect(ml.getMetadata('ring')).toEqual({ key: 'ring', version: 2, value: b('next') });
    expect(vetted).toEqual(['ring@1001', 'ring@1002', 'ring@2']);
    expect(events.filter((e) => e.type === 'metadata').map((e) => (e.type === 'metadata' ? `${e.key}@${e.version}` : ''))).toEqual(['ring@1', 'ring@2']);
    const passedOn = sent.flatMap((s) => ('gossip' in s.message ? s.message.gossip : [])).filter((g) => g.kind === 'metadata' && g.version > 2);
    expect(passedOn).toEqual([]);
  });

  test('a local stall raises the health score and stretches the probe period', () => {
    const { ml, clock } = harness();
    ml.receive('x', { type: 'gossip', sourceId: 'b', gossip: [{ kind: 'alive', id: 'b', address: 'b:1', incarnation: 0, meta: b('') }] });
    clock.now = 2000;
    ml.tick();
    const before = ml.nextDeadlineMs();
    ml.reportLocalStall(3000);
    expect(ml.localHealthScore()).toBe(3);
    expect(ml.nextDeadlineMs()).toBeGreaterThanOrEqual(before);
  });

  test('graceful leave is seen as left, not dead', () => {
    const sim = cluster(8);
    ml(sim, 'n3').leave();
    expect(() => ml(sim, 'n3').join(['n0@sim:7946'])).toThrow(GossipStateError);
    sim.run(3000);
    for (const id of sim.ids()) if (id !== 'n3') expect(ml(sim, id).member('n3')?.state).toBe('left');
  });

  test('meta changes spread as updated events', () => {
    const sim = cluster(8);
    const seen = new Set<string>();
    sim.onEvent((o, e) => e.type === 'updated' && e.member.id === 'n2' && seen.add(o));
    ml(sim, 'n2').setLocalMeta(b('rack=2'));
    sim.run(3000);
    expect(seen.size).toBe(7);
    expect(ml(sim, 'n5').member('n2')?.meta).toEqual(b('rack=2'));
  });

  test('a restarted member (fresh incarnation 0) refutes its old death and is alive everywhere', () => {
    const sim = cluster(8);
    sim.crash('n4');
    sim.run(60_000);
    expect(ml(sim, 'n0').member('n4')?.state).toBe('dead');
    sim.restart('n4', ['n1']);
    sim.run(5000);
    for (const id of sim.ids()) expect(ml(sim, id).isAlive('n4')).toBe(true);
    expect(ml(sim, 'n0').member('n4')?.incarnation).toBeGreaterThan(0);
  });

  test('a node whose outgoing link is broken blames itself and accuses peers less (Lifeguard)', () => {
    const accusations = (awarenessMaxMultiplier: number): { accused: number; score: number } => {
      const sim = new Simulator({ seed: 5, config: { awarenessMaxMultiplier } });
      for (let i = 0; i < 8; i++) sim.addNode(`n${i}`, i === 0 ? [] : ['n0']);
      sim.run(5000);
      for (const id of sim.ids()) sim.setLinkLoss('n6', id, 1);
      let accused = 0;
      let score = 0;
      sim.onEvent((o, e) => o === 'n6' && e.type === 'suspect' && accused++);
      for (let i = 0; i < 10; i++) {
        sim.run(1000);
        score = Math.max(score, ml(sim, 'n6').localHealthScore());
      }
      return { accused, score };
    };
    const withLifeguard = accusations(8);
    const without = accusations(1);
    expect(withLifeguard.score).toBeGreaterThan(2);
    expect(without.score).toBe(0);
    expect(withLifeguard.accused).toBeLessThan(without.accused);
  });
});

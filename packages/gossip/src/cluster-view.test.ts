// Seeded simulations of the membership view under the faults of issue #16: members moving to new
// addresses, a node restarted while another is dead, graceful leave, and a member that cannot
// receive. Virtual clock, simulated network; every run is a pure function of its seed.
import type { MembershipEvent } from './events.js';
import type { Memberlist } from './memberlist.js';
import { Simulator } from './test-support/simulator.js';

/** Server-like timing: 500 ms protocol period. */
const CONFIG = { probeIntervalMs: 500, probeTimeoutMs: 250, gossipIntervalMs: 166, pushPullIntervalMs: 5000, joinRetryIntervalMs: 500 };

function cluster(n: number, seed: number): Simulator {
  const sim = new Simulator({ seed, config: CONFIG, codec: true });
  for (let i = 0; i < n; i++) sim.addNode(`n${i}`, i === 0 ? [] : ['n0']);
  sim.run(5000);
  return sim;
}

const ml = (sim: Simulator, id: string): Memberlist => sim.get(id).ml as Memberlist;

function record(sim: Simulator): { observer: string; event: MembershipEvent; at: number }[] {
  const seen: { observer: string; event: MembershipEvent; at: number }[] = [];
  sim.onEvent((observer, event) => seen.push({ observer, event, at: sim.now }));
  return seen;
}

describe('membership view under faults (simulated)', () => {
  // A move takes: the join exchange, the refutation at a higher incarnation spreading by gossip
  // (a round or two), and one probe period of silence at the old address, seen by each member.
  const MOVE_BOUND_MS = 3 * CONFIG.probeIntervalMs;

  test.each([1, 2, 3])('a member restarted on a new address is reached there within three periods, and again when it moves back (seed %i)', (seed) => {
    const sim = cluster(5, seed);
    const others = ['n0', 'n1', 'n3', 'n4'];
    const everyoneHas = (address: string): boolean => others.every((o) => ml(sim, o).member('n2')?.address === address && ml(sim, o).isAlive('n2'));
    const events = record(sim);

    sim.crash('n2');
    sim.run(200);
    sim.restart('n2', ['n0'], { address: 'n2-moved@sim:7946' });
    const moved = sim.runUntilTrue(() => everyoneHas('n2-moved@sim:7946'), 10, 20_000);
    expect(moved).toBeGreaterThanOrEqual(0);
    expect(moved).toBeLessThanOrEqual(MOVE_BOUND_MS);

    sim.crash('n2');
    sim.run(200);
    sim.restart('n2', ['n1'], { address: Simulator.address('n2') });
    const back = sim.runUntilTrue(() => everyoneHas(Simulator.address('n2')), 10, 20_000);
    expect(back).toBeGreaterThanOrEqual(0);
    expect(back).toBeLessThanOrEqual(MOVE_BOUND_MS);
    // Moving never made it dead anywhere.
    expect(events.filter((e) => e.event.type === 'dead')).toEqual([]);
  });

  test('a member moved twice while another member was down is at its latest address for all', () => {
    const sim = cluster(5, 11);
    sim.crash('n4');
    sim.crash('n2');
    sim.restart('n2', ['n0'], { address: 'n2-b@sim' });
    sim.run(1000);
    sim.crash('n2');
    sim.restart('n2', ['n3'], { address: 'n2-c@sim' });
    sim.run(3000);
    for (const o of ['n0', 'n1', 'n3']) expect(ml(sim, o).member('n2')).toMatchObject({ address: 'n2-c@sim', state: 'alive' });
  });

  test('a node restarted while another is dead learns of it as dead, never as unknown or alive', () => {
    const sim = cluster(4, 5);
    sim.crash('n3');
    expect(sim.runUntilTrue(() => ['n0', 'n1', 'n2'].every((o) => ml(sim, o).member('n3')?.state === 'dead'), 100, 60_000)).toBeGreaterThanOrEqual(0);
    sim.crash('n1');
    sim.restart('n1', ['n0']);
    sim.run(1000);
    expect(ml(sim, 'n1').member('n3')).toMatchObject({ state: 'dead', address: Simulator.address('n3') });
    expect(ml(sim, 'n1').isAlive('n3')).toBe(false);
    // When the dead member comes back, the restarted node sees it alive again.
    sim.restart('n3', ['n2']);
    expect(sim.runUntilTrue(() => ml(sim, 'n1').isAlive('n3'), 100, 10_000)).toBeGreaterThanOrEqual(0);
  });

  test('leave goes out at once: a host that stops when nothing is left to send is seen as left, never suspect or dead', () => {
    const sim = cluster(6, 9);
    const events = record(sim);
    const sentBefore = sim.stats.sent;
    ml(sim, 'n5').leave();
    // The first gossip round runs inside leave(): messages are on the wire before any tick.
    expect(sim.stats.sent).toBeGreaterThan(sentBefore);
    const drained = sim.runUntilTrue(() => ml(sim, 'n5').pendingBroadcasts() === 0, 10, 2000);
    expect(drained).toBeGreaterThanOrEqual(0);
    expect(drained).toBeLessThanOrEqual(3 * CONFIG.gossipIntervalMs);
    sim.crash('n5');
    sim.run(60_000);
    for (const o of ['n0', 'n1', 'n2', 'n3', 'n4']) expect(ml(sim, o).member('n5')?.state).toBe('left');
    expect(events.filter((e) => e.event.type !== 'metadata' && e.event.member.id === 'n5').map((e) => e.event.type)).toEqual(Array(5).fill('left'));
  });

  test.each([21, 22, 23])(
    '3 nodes, one restarted advertising an address nobody listens at: it stays reachable where it listens, accuses the others at a stretched rate, and never gets them declared dead (seed %i)',
    (seed) => {
      const sim = cluster(3, seed);
      sim.crash('n2');
      // Back before it is found dead, but after it is suspected.
      expect(sim.runUntilTrue(() => ml(sim, 'n0').member('n2')?.state === 'suspect', 10, 5000)).toBeGreaterThanOrEqual(0);
      sim.restart('n2', ['n0'], { advertise: 'nowhere@sim' });
      const events = record(sim);
      sim.run(120_000);
      const healthy = ['n0', 'n1'];
      // Its claim to be at the wrong address is refused: it answers where the others know it.
      for (const o of healthy) expect(ml(sim, o).member('n2')).toMatchObject({ address: Simulator.address('n2'), state: 'alive' });
      const aboutHealthy = events.filter((e) => e.event.type !== 'metadata' && healthy.includes(e.event.member.id));
      // It cannot hear acks, so it accuses the healthy ones; they refute and stay alive for each other.
      expect(aboutHealthy.some((e) => e.observer === 'n2' && e.event.type === 'suspect')).toBe(true);
      expect(aboutHealthy.filter((e) => healthy.includes(e.observer) && e.event.type === 'dead')).toEqual([]);
      // Local health stretches its probe period up to 8x (awarenessMaxMultiplier): about one
      // accusation per 8 periods instead of one per period.
      const accusations = aboutHealthy.filter((e) => e.observer === 'n2' && e.event.type === 'suspect').length;
      expect(accusations).toBeLessThan((1.5 * 120_000) / (8 * CONFIG.probeIntervalMs));
    },
  );
});

import { VirtualClock } from '../sim/virtual-clock.js';
import { RingPuller, type ServedRing } from './ring-pull.js';

/** A node `self` whose peers serve the ring versions in `served` (by id); unreachable when absent. */
function setUp(self: string, claimant: string, served: Record<string, number>, others = ['n2', 'n3']) {
  const clock = new VirtualClock(0);
  let version = 5;
  const asked: string[] = [];
  const puller = new RingPuller(
    {
      selfId: self,
      currentVersion: () => version,
      claimantId: () => claimant,
      othersUp: () => others,
      fetch: async (id) => {
        asked.push(id);
        const v = served[id];
        if (v === undefined) throw new Error('unreachable');
        return v > version ? ({ bytes: new Uint8Array([v]), version: v } satisfies ServedRing) : undefined;
      },
      adopt: (ring) => {
        version = ring.version;
        return true;
      },
      timers: clock.timersFor({ alive: true }),
      debug: () => {},
    },
    { minDelayMs: 100, maxDelayMs: 400, maxRetries: 3 },
  );
  return { clock, puller, asked, version: () => version };
}

describe('pulling the ring on a hint', () => {
  it('takes the ring the claimant serves, not the hinted version', async () => {
    const s = setUp('n2', 'n1', { n1: 7 });
    s.puller.hint(1001);
    await s.clock.run(0);
    expect({ asked: s.asked, version: s.version() }).toEqual({ asked: ['n1'], version: 7 });
  });

  it('ignores hints that are not newer than the ring held', async () => {
    const s = setUp('n2', 'n1', { n1: 9 });
    s.puller.hint(5);
    await s.clock.run(10_000);
    expect(s.asked).toEqual([]);
  });

  it('asks the other live members when this node is the claimant', async () => {
    const s = setUp('n1', 'n1', { n3: 8 });
    s.puller.hint(8);
    await s.clock.run(0);
    expect({ asked: s.asked, version: s.version() }).toEqual({ asked: ['n2', 'n3'], version: 8 });
  });

  it('retries a hint nobody serves a bounded number of times with doubling delays, then ignores hints for a while', async () => {
    const s = setUp('n2', 'n1', { n1: 5 });
    const at: number[] = [];
    const counted = s.asked.push.bind(s.asked);
    s.asked.push = (...ids: string[]) => {
      at.push(s.clock.now());
      return counted(...ids);
    };
    // A stream of forged hints: one pull runs at a time and the rest only raise the version wanted.
    for (let i = 0; i < 50; i++) s.puller.hint(1000 + i);
    await s.clock.run(800);
    expect(at).toEqual([0, 100, 300, 700]);
    // Quiet for the longest delay (400 ms) after the last retry.
    s.puller.hint(2000);
    await s.clock.run(0);
    expect(at.length).toBe(4);
    await s.clock.run(300);
    s.puller.hint(2000);
    await s.clock.run(0);
    expect(at.length).toBe(5);
  });

  it('stops retrying once stopped', async () => {
    const s = setUp('n2', 'n1', {});
    s.puller.hint(9);
    await s.clock.run(0);
    s.puller.stop();
    await s.clock.run(10_000);
    expect(s.asked).toEqual(['n1']);
  });
});

import { EwmaSelector } from './ewma.js';

describe('EwmaSelector', () => {
  let t = 0;
  const now = (): number => t;
  beforeEach(() => {
    t = 0;
  });

  function sample(sel: EwmaSelector, node: string, ms: number): void {
    const started = sel.start(node);
    t += ms;
    sel.finish(node, started);
  }

  it('tries unmeasured nodes first, in the given order', () => {
    const sel = new EwmaSelector(now);
    sample(sel, 'a', 5);
    expect(sel.pick(['a', 'b', 'c'])).toBe('b');
    expect(sel.pick(['c', 'b'])).toBe('c');
  });

  it('prefers the node with the lower average latency', () => {
    const sel = new EwmaSelector(now);
    for (let i = 0; i < 5; i++) {
      sample(sel, 'slow', 20);
      sample(sel, 'fast', 2);
    }
    expect(sel.pick(['slow', 'fast'])).toBe('fast');
    expect(sel.averageMs('fast')).toBeLessThan(sel.averageMs('slow')!);
  });

  it('penalises a node by its requests in flight', () => {
    const sel = new EwmaSelector(now);
    sample(sel, 'a', 2);
    sample(sel, 'b', 3);
    sel.start('a');
    sel.start('a');
    expect(sel.pick(['a', 'b'])).toBe('b');
  });

  it('moves toward recent samples and forgets a slow spell when idle', () => {
    const sel = new EwmaSelector(now, { decayMs: 100, idleHalfLifeMs: 1000 });
    sample(sel, 'a', 100);
    for (let i = 0; i < 40; i++) sample(sel, 'a', 1);
    expect(sel.averageMs('a')).toBeLessThan(10);
    sample(sel, 'b', 500);
    const costBefore = sel.cost('b');
    t += 5000;
    expect(sel.cost('b')).toBeLessThan(costBefore / 16);
  });

  it('counts a request still unanswered as at least as slow as its age, and forgets a cancelled one', () => {
    const sel = new EwmaSelector(now);
    sample(sel, 'a', 1);
    sample(sel, 'b', 5);
    const stuck = sel.start('a');
    t += 20;
    // a answered in 1 ms so far, but has a request out for 20 ms: b is the better bet.
    expect(sel.pick(['a', 'b'])).toBe('b');
    sel.abandon('a', stuck);
    expect(sel.pick(['a', 'b'])).toBe('a');
  });

  it('counts a failure penalty as latency', () => {
    const sel = new EwmaSelector(now);
    const s = sel.start('a');
    sel.finish('a', s, 1000);
    sample(sel, 'b', 50);
    expect(sel.pick(['a', 'b'])).toBe('b');
  });
});

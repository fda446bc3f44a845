import fc from 'fast-check';
import { LatencyWindows } from './latency-window.js';

describe('LatencyWindows', () => {
  it('knows nothing of a node with too few samples', () => {
    const w = new LatencyWindows();
    for (let i = 0; i < 7; i++) w.record('a', 1);
    expect(w.percentile('a', 0.95)).toBeUndefined();
    w.record('a', 1);
    expect(w.percentile('a', 0.95)).toBe(1);
  });

  it('gives the nearest-rank percentile of the recent samples', () => {
    const w = new LatencyWindows();
    for (let i = 1; i <= 100; i++) w.record('a', i);
    expect(w.percentile('a', 0.95)).toBe(95);
    expect(w.percentile('a', 0.5)).toBe(50);
    expect(w.percentile('a', 0)).toBe(1);
    expect(w.percentile('a', 1)).toBe(100);
  });

  it('forgets old samples: the window holds the latest 128', () => {
    const w = new LatencyWindows();
    for (let i = 0; i < 128; i++) w.record('a', 1000);
    for (let i = 0; i < 128; i++) w.record('a', 2);
    expect(w.percentile('a', 0.99)).toBe(2);
  });

  it('always answers a value between the smallest and largest recent sample', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 8, maxLength: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, p) => {
        const w = new LatencyWindows();
        for (const x of xs) w.record('n', x);
        const recent = xs.slice(-128);
        const v = w.percentile('n', p)!;
        return v >= Math.min(...recent) && v <= Math.max(...recent);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

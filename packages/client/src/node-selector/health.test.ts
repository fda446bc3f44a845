import { NodeHealth } from './health.js';

describe('NodeHealth', () => {
  let t = 0;
  const health = (): NodeHealth => new NodeHealth(() => t, { downBaseMs: 100, downMaxMs: 350 });
  beforeEach(() => {
    t = 0;
  });

  it('marks a failed node down for a growing, capped backoff', () => {
    const h = health();
    expect(h.isUp('a')).toBe(true);
    h.markDown('a');
    expect(h.isUp('a')).toBe(false);
    t = 100;
    expect(h.isUp('a')).toBe(true);
    h.markDown('a');
    t = 299;
    expect(h.isUp('a')).toBe(false);
    t = 300;
    expect(h.isUp('a')).toBe(true);
    h.markDown('a');
    h.markDown('a');
    t = 300 + 349;
    expect(h.isUp('a')).toBe(false);
    t = 300 + 350;
    expect(h.isUp('a')).toBe(true);
  });

  it('clears the record on success', () => {
    const h = health();
    h.markDown('a');
    h.markDown('a');
    h.markUp('a');
    expect(h.isUp('a')).toBe(true);
    h.markDown('a');
    t = 100;
    expect(h.isUp('a')).toBe(true);
  });

  it('names the down node that comes back first', () => {
    const h = health();
    h.markDown('a');
    h.markDown('a');
    h.markDown('b');
    expect(h.soonestUp(['a', 'b'])).toBe('b');
  });
});

import { NodeHealth } from './health.js';

describe('NodeHealth', () => {
  let t = 0;
  const health = (): NodeHealth => new NodeHealth(() => t, { downBaseMs: 100, downMaxMs: 350 });
  beforeEach(() => {
    t = 0;
  });

  it('keeps a failed node down, however long, until a probe answers', () => {
    const h = health();
    expect(h.isUp('a')).toBe(true);
    h.markDown('a');
    expect(h.isUp('a')).toBe(false);
    t = 1_000_000;
    expect(h.isUp('a')).toBe(false);
    expect(h.dueForProbe()).toEqual(['a']);
    h.probeAnswered('a');
    expect(h.isUp('a')).toBe(true);
    expect(h.dueForProbe()).toEqual([]);
  });

  it('probes a down node at a growing, capped interval, and not while a probe is out', () => {
    const h = health();
    h.markDown('a');
    expect(h.nextProbeAt()).toBe(100);
    t = 99;
    expect(h.dueForProbe()).toEqual([]);
    t = 100;
    h.probeStarted('a', 1000);
    expect(h.dueForProbe()).toEqual([]);
    h.probeFailed('a');
    expect(h.nextProbeAt()).toBe(300);
    t = 300;
    h.probeFailed('a');
    expect(h.nextProbeAt()).toBe(300 + 350);
  });

  it('counts concurrent failures of one outage once', () => {
    const h = health();
    h.markDown('a');
    t = 50;
    h.markDown('a');
    h.markDown('a');
    expect(h.nextProbeAt()).toBe(100);
  });

  it('treats a node the cluster reports dead or left as down, and suspect as up', () => {
    const h = health();
    let downs = 0;
    h.onDown = () => downs++;
    h.report('a', 'suspect');
    expect(h.isUp('a')).toBe(true);
    h.report('a', 'dead');
    h.report('b', 'left');
    expect([h.isUp('a'), h.isUp('b'), downs]).toEqual([false, false, 2]);
    // Answering a probe is not enough while the cluster still reports it dead: that needs a new view.
    t = 100;
    h.probeAnswered('a');
    expect(h.isUp('a')).toBe(false);
    expect(h.isReportedDown('a')).toBe(true);
    h.report('a', 'alive');
    expect(h.isUp('a')).toBe(true);
    // A request's success does not override the cluster's view either.
    h.markUp('b');
    expect(h.isUp('b')).toBe(false);
  });

  it('names the down node whose probe is due first', () => {
    const h = health();
    h.markDown('a');
    h.probeFailed('a');
    h.markDown('b');
    expect(h.soonestUp(['a', 'b'])).toBe('b');
  });
});

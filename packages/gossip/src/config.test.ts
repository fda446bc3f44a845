import { DEFAULT_GOSSIP_CONFIG, resolveConfig } from './config.js';
import { GossipConfigError } from './errors.js';

describe('config', () => {
  test('defaults are valid and partial configs override them', () => {
    expect(resolveConfig()).toEqual(DEFAULT_GOSSIP_CONFIG);
    expect(resolveConfig({ probeIntervalMs: 200, probeTimeoutMs: 100 }).probeIntervalMs).toBe(200);
  });

  test.each([
    [{ probeIntervalMs: 0 }, 'probeIntervalMs'],
    [{ probeTimeoutMs: 1000 }, 'probeTimeoutMs'],
    [{ indirectChecks: 1.5 }, 'indirectChecks'],
    [{ gossipNodes: Number.NaN }, 'gossipNodes'],
    [{ awarenessMaxMultiplier: 0 }, 'awarenessMaxMultiplier'],
    [{ nonsense: 1 } as never, 'nonsense'],
  ])('rejects %j naming the field', (partial, field) => {
    expect(() => resolveConfig(partial)).toThrow(GossipConfigError);
    expect(() => resolveConfig(partial)).toThrow(expect.objectContaining({ field }));
  });
});

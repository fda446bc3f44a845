// Crash cycles inside npm test, bounded: three nodes, three kill -9 cycles under four writers adding
// to sets in 16 keys; after each cycle every key is read, so every add acknowledged so far is
// checked after each cycle, and none may be missing.
import { runCrashCycles, type CrashCycleResult } from '@quorumkv/jepsen';

let result: CrashCycleResult;

beforeAll(async () => {
  result = await runCrashCycles({ seed: 3, cycles: 3, nodes: 3, keys: 16, hostBase: 178 });
}, 120_000);

describe('crash cycles (seed 3, 3 cycles)', () => {
  it('killed a node per cycle while writers were acknowledged', () => {
    expect(result.kills).toBe(3);
    expect(result.acknowledged).toBeGreaterThan(20);
  });

  it('checked every acknowledged add after every cycle, with one read per key per check, and lost none', () => {
    // Four checks (three cycles and the end), each reading all 16 keys at least once.
    expect(result.checks).toBeGreaterThanOrEqual(4 * 16);
    // The last check alone covers every acknowledged add; the earlier ones what was acknowledged by then.
    expect(result.checkedWrites).toBeGreaterThan(result.acknowledged);
    expect({ lost: result.lost, unexpected: result.unexpected, valid: result.valid }).toEqual({ lost: [], unexpected: 0, valid: true });
  });
});

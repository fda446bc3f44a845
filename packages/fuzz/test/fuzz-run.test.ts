// A bounded fuzzing run inside the suite: real nodes take a few thousand well-formed and damaged
// requests on every RPC, protocol and the gossip messages; none may crash, answer with an internal
// error, stop serving a normal put/get, or lose an acknowledged canary key. The full run
// (`npm run fuzz -- --requests 100000`) is the same with more requests; docs/verification/fuzz.md.
import { METHODS, runFuzz, type FuzzReport } from '@quorumkv/fuzz';

describe('fuzzing real nodes (bounded)', () => {
  let report: FuzzReport;
  beforeAll(async () => {
    report = await runFuzz({ requests: 2000, seed: 20261130, hostBase: 117, settleMs: 1_000 });
  }, 240_000);

  it('sent every request and reached every RPC', () => {
    expect(report.requests).toBe(2000);
    for (const m of METHODS) expect(Object.keys(report.byRpc)).toContain(`${m.parent.name}/${m.name}`);
  });

  it('crashed no node and drew no internal error', () => {
    expect(report.crashes).toEqual([]);
    expect(report.samples.filter((s) => s.class === 'internal')).toEqual([]);
    expect(report.classes.internal).toBe(0);
  });

  it('left every node serving and every acknowledged canary key intact', () => {
    expect(report.notServing).toEqual([]);
    expect(report.canaries).toBe(200);
    expect(report.lost).toEqual([]);
    expect(report.failures).toEqual([]);
  });

  it('answered most requests with a clear error and some with a result', () => {
    expect(report.classes.error).toBeGreaterThan(report.requests / 2);
    expect(report.classes.ok).toBeGreaterThan(report.requests / 10);
  });
});

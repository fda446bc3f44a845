// A bounded Jepsen-style run inside npm test: three real nodes behind fault proxies; the seeded
// nemesis partitions them in halves, starts a fourth node that joins (--seeds, --auto-join), makes
// n1 (the claimant) leave and kills a node with -9, while set and register clients work on the SDK
// with its session option and reads at R = 1 (where plain reads go back under faults). The set,
// causal-register, read-your-writes and monotonic-reads checkers must pass and the replicas must
// converge after heal.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJepsen, verdictLines, writeReport, type JepsenResult } from '@quorumkv/jepsen';

const SEED = 361;
let result: JepsenResult;
const out = mkdtempSync(join(tmpdir(), 'qkv-jepsen-test-'));

beforeAll(async () => {
  result = await runJepsen({
    seed: SEED,
    timeMs: 35_000,
    nodes: 3,
    hostBase: 75,
    workloads: ['set', 'register'],
    nemesis: ['partition', 'kill', 'pause', 'membership'],
    clientsPerWorkload: 2,
    sessions: true,
    readR: 1,
    convergenceMs: 20_000,
  });
}, 200_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('a bounded Jepsen-style run (seed 361)', () => {
  it('ran the seeded plan against the cluster while clients worked', () => {
    expect(result.plan.map((w) => w.kind)).toEqual(['partition', 'membership', 'membership', 'kill']);
    expect(result.membershipSettledSeconds).toBeDefined();
    expect(result.applied.map((a) => a.kind)).toEqual(result.plan.map((w) => w.kind));
    expect(result.ops.filter((o) => o.outcome === 'ok').length).toBeGreaterThan(100);
    for (const o of result.ops) expect(o.completeMs).toBeGreaterThanOrEqual(o.invokeMs);
  });

  it('lost no acknowledged add, kept the causal register and each session\'s reads, and the replicas converged', () => {
    const lines = verdictLines(result).join('\n');
    for (const c of result.checks) expect({ checker: c.checker, verdict: c.verdict, lines }).toEqual({ checker: c.checker, verdict: 'pass', lines });
    expect(result.checks.map((c) => c.checker)).toEqual(['set', 'register', 'read-your-writes', 'monotonic-reads']);
    expect(result.checks.find((c) => c.checker === 'read-your-writes')!.counts['reads']).toBeGreaterThan(50);
    expect(result.convergence.seconds).not.toBeNull();
    expect(result.valid).toBe(true);
  });

  it('writes the result, the history and a timeline with the fault bands', () => {
    const [json, history, svg] = writeReport(out, 'run', result);
    expect(JSON.parse(readFileSync(json!, 'utf8'))).toMatchObject({ seed: SEED, valid: true });
    expect(JSON.parse(readFileSync(history!, 'utf8')).events).toHaveLength(2 * result.ops.length);
    const picture = readFileSync(svg!, 'utf8');
    expect(picture.startsWith('<svg')).toBe(true);
    for (const a of result.applied) expect(picture).toContain(a.description.replace(/&/g, '&amp;'));
  });
});

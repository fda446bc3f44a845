import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { runSimulation, type SimulationOptions } from './run-simulation.js';
import { formatReport } from './sim-report.js';

// The simulation itself: replays exactly from a seed, passes on the paths today's code gets right
// (crashes, restarts, partitions, cut and slow links, sloppy quorums, hinted handoff, read repair),
// and catches bugs planted on purpose, in the data path and in the nodes' gossip. Issue #13's full
// property is causal-properties.test.ts.

/** Runs per `npm test` of the `basic` property (~40 ms of CPU each under jest, gossip included); larger sweeps: CONTRIBUTING.md. */
const BASIC_RUNS = 100;
/** Runs of the passive-convergence property per `npm test`. */
const CONVERGENCE_RUNS = 200;
/** How many runs the planted bug may take to be caught. */
const PLANTED_BUG_BUDGET = 100;

const seeds = fc.noShrink(fc.integer({ min: 1, max: 2 ** 31 - 1 }));
const stepCounts = fc.integer({ min: 4, max: 60 });

/** Runs one simulation and throws its report (history, violations, replay command) if it failed. */
async function holds(o: SimulationOptions, ignore: readonly string[] = []): Promise<void> {
  const r = await runSimulation(o);
  if (r.violations.some((v) => !ignore.includes(v.check))) throw new Error(formatReport(r, o));
}

describe('whole-cluster simulation', () => {
  it('replays the same history from the same seed, and another from another seed', async () => {
    const story = async (seed: number) => {
      const r = await runSimulation({ seed, steps: 40, trace: true });
      const lines = r.history.format((v) => r.ledger.dotOfValue.get(v));
      const digest = createHash('sha256').update(lines.join('\n')).digest('hex');
      return { lines, digest, stats: r.stats, violations: r.violations, hintsDropped: r.history.hintsDropped };
    };
    const first = await story(11);
    expect(first.lines.length).toBeGreaterThan(100);
    expect(first.stats.messages).toBeGreaterThan(20);
    // Gossip ran: the nodes' memberlists saw a crashed node suspected, found dead and back.
    expect(first.stats.gossipMessages).toBeGreaterThan(100);
    expect(first.lines.some((l) => / sees n\d dead /.test(l))).toBe(true);
    expect(first.lines.some((l) => / sees n\d alive \(incarnation [1-9]/.test(l))).toBe(true);
    const again = await story(11);
    expect(again.digest).toBe(first.digest);
    expect(again.stats.memberDigest).toBe(first.stats.memberDigest);
    expect(again).toEqual(first);
    const other = await story(12);
    expect(other.lines).not.toEqual(first.lines);
    expect(other.stats.memberDigest).not.toBe(first.stats.memberDigest);
    // Seed 14 draws tight hint bounds: hint admission's caps and sweep run on virtual time too.
    const bounded = await story(14);
    expect(bounded.hintsDropped).toBeGreaterThan(0);
    expect(await story(14)).toEqual(bounded);
  });

  it(`keeps every acknowledged write through crashes, partitions and link faults (${BASIC_RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(seeds, stepCounts, (seed, steps) => holds({ seed, steps, faults: 'basic' })),
      { seed: 42, numRuns: BASIC_RUNS },
    );
  }, 300_000);

  it(`leaves every key's replicas equal after heal from hints alone, with no crash and unbounded hints (${CONVERGENCE_RUNS} runs)`, async () => {
    // No read after heal, so no read repair: what the replicas hold then came from writes and
    // hints. A crashed coordinator takes the hints it had not yet stored with it, and small hint
    // bounds drop hints by design; both are left out here (issue #18).
    await fc.assert(
      fc.asyncProperty(seeds, stepCounts, async (seed, steps) => {
        const o: SimulationOptions = { seed, steps, faults: 'basic', without: ['crash', 'hint-bounds'] };
        const r = await runSimulation(o);
        if (r.stats.divergedAfterSettle > 0) throw new Error(formatReport(await runSimulation({ ...o, trace: true }), o));
      }),
      { seed: 42, numRuns: CONVERGENCE_RUNS },
    );
  }, 300_000);

  it('catches a replica that overwrites instead of merging, with the history checks alone', async () => {
    const caught = async (ignore: readonly string[]) => {
      const res = await fc.check(
        fc.asyncProperty(seeds, stepCounts, (seed, steps) => holds({ seed, steps, faults: 'basic', mutation: 'replica-overwrites' }, ignore)),
        { seed: 42, numRuns: PLANTED_BUG_BUDGET },
      );
      return { failed: res.failed, afterRuns: res.numRuns, report: String(res.errorInstance) };
    };
    // The storage-level check sees the first overwrite; the history checks see what it costs clients.
    const any = await caught([]);
    const blackBox = await caught(['overwrite']);
    expect(any.failed).toBe(true);
    expect(blackBox.failed).toBe(true);
    expect(blackBox.report).toMatch(/(lost-write|superseded-value-returned|stale-read-after-quorum|dot-reuse): /);
    console.log(`planted bug replica-overwrites: caught after ${any.afterRuns} run(s); by the history checks alone after ${blackBox.afterRuns} run(s): ${blackBox.report.match(/\n {2}(\S+): /)?.[1]}`);
  }, 300_000);

  it("catches a node whose gossip never refutes what peers say against it (a bug in the nodes' gossip)", async () => {
    const res = await fc.check(
      fc.asyncProperty(seeds, stepCounts, (seed, steps) => holds({ seed, steps, faults: 'basic', mutation: 'ignores-accusations' })),
      { seed: 42, numRuns: PLANTED_BUG_BUDGET },
    );
    expect(res.failed).toBe(true);
    // Peers keep a restarted node dead or left: reads at r=3 after healing cannot reach it.
    expect(String(res.errorInstance)).toMatch(/(final-read-failed|lost-write): /);
    console.log(`planted bug ignores-accusations: caught after ${res.numRuns} run(s)`);
  }, 300_000);
});

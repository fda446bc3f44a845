import {
  type CrashResult,
  type FalsePositiveResult,
  type JoinResult,
  type PartitionResult,
  crashScenario,
  falsePositiveScenario,
  formatTable,
  historyDigest,
  joinScenario,
  partitionScenario,
} from './test-support/scenarios.js';

// Acceptance scenarios (seeded). The same runs are recorded in docs/benchmarks.md by `npm run bench`.
const SEED = 42;
const joins: JoinResult[] = [];
let crash: CrashResult | undefined;
let fp: FalsePositiveResult | undefined;
let partition: PartitionResult | undefined;

afterAll(() => {
  if (crash && fp && partition && joins.length === 3) console.log(`gossip acceptance (seed ${SEED})\n${formatTable({ joins, crash, fp, partition })}`);
});

describe('simulated cluster', () => {
  test.each([10, 50, 200])('a join reaches all %i members within O(log n) periods', (n) => {
    const r = joinScenario(n, SEED);
    joins.push(r);
    expect(r.periodsToAll).toBeGreaterThan(0);
    expect(r.periodsToAll).toBeLessThanOrEqual(2 * r.log2n);
  });

  test('a crashed member is declared dead by all 50 members', () => {
    crash = crashScenario(50, SEED, 10);
    // First detection: SWIM's e/(e-1) periods until a probe, plus the period that probe takes.
    expect(crash.firstSuspectPeriods).toBeLessThan(crash.swimExpectedFirstDetection + 2);
    // Confirmations shrink the suspicion timeout well below its maximum.
    expect(crash.allDeadMaxPeriods).toBeLessThan(crash.suspicionMaxPeriods);
    expect(crash.allDeadMeanPeriods).toBeGreaterThanOrEqual(crash.suspicionMinPeriods);
  });

  test('10% loss and a stalling member: no healthy member declared dead in 10,000 periods', () => {
    fp = falsePositiveScenario(SEED, 50, 10_000, 0.1, 2000);
    expect(fp.suspectEvents).toBeGreaterThan(0); // the loss does cause suspicions...
    expect(fp.refutations).toBeGreaterThan(0);
    expect(fp.falseDeaths).toBe(0); // ...all of them refuted in time
  });

  test('a 25+25 partition: each side declares the other dead, then all reconverge after healing', () => {
    partition = partitionScenario(SEED, 50, 100);
    expect(partition.sidesDeadAfterPeriods).toBeGreaterThan(0);
    expect(partition.sidesDeadAfterPeriods).toBeLessThan(100);
    expect(partition.convergedAfterPeriods).toBeGreaterThanOrEqual(0);
    expect(partition.convergedAfterPeriods).toBeLessThanOrEqual(60);
    expect(partition.metadataConverged).toBe(true);
  });

  test('the same seed replays the same history; another seed does not', () => {
    const first = historyDigest(7);
    const second = historyDigest(7);
    const other = historyDigest(8);
    expect(first.events).toBeGreaterThan(100);
    expect(second).toEqual(first);
    expect(other.digest).not.toBe(first.digest);
  });
});

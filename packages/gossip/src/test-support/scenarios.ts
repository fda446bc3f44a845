import { DEFAULT_GOSSIP_CONFIG } from '../config.js';
import type { MemberInfo } from '../events.js';
import { Prng } from './prng.js';
import { Simulator } from './simulator.js';

/*
 * The acceptance scenarios, shared by the jest suite (which asserts on them) and the benchmark
 * script (which records them in docs/benchmarks.md). Times are reported in protocol periods
 * (probeIntervalMs, 1 s by default).
 */

export const PERIOD_MS = DEFAULT_GOSSIP_CONFIG.probeIntervalMs;

const utf8 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Starts `n` nodes `n0..n(n-1)`, each joining through a random earlier node, and waits for full agreement. */
export function bootCluster(sim: Simulator, n: number, rng: Prng): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `n${i}`;
    const seed = ids.length > 0 ? [ids[Math.floor(rng.next() * ids.length)] as string] : [];
    sim.addNode(id, seed);
    ids.push(id);
  }
  const took = sim.runUntilTrue(() => everyoneSeesAlive(sim, ids, ids), PERIOD_MS / 2, 200 * PERIOD_MS);
  if (took < 0) throw new Error(`cluster of ${n} did not converge`);
  return ids;
}

/** Every running observer in `observers` sees every member of `subjects` alive. */
export function everyoneSeesAlive(sim: Simulator, observers: readonly string[], subjects: readonly string[]): boolean {
  for (const o of observers) {
    const ml = sim.get(o).ml;
    if (ml === null) continue;
    for (const s of subjects) if (!ml.isAlive(s)) return false;
  }
  return true;
}

function view(members: MemberInfo[]): string {
  return members.map((m) => `${m.id}:${m.state}:${m.incarnation}`).join(',');
}

export interface JoinResult {
  n: number;
  /** Periods from `join()` until every member lists the newcomer as alive. */
  periodsToAll: number;
  /** log2(n), the order of magnitude epidemic spread needs. */
  log2n: number;
}

/** A newcomer joins an n-node cluster through one random seed; how long until all n know it? */
export function joinScenario(n: number, seed: number): JoinResult {
  const rng = new Prng(seed);
  // The codec is exercised end to end on the smallest cluster; larger ones skip it for speed.
  const sim = new Simulator({ seed, codec: n <= 10 });
  const ids = bootCluster(sim, n, rng);
  sim.run(30 * PERIOD_MS); // let the boot broadcasts drain so they do not help the newcomer's
  const start = sim.now;
  sim.addNode('newcomer', [ids[Math.floor(rng.next() * ids.length)] as string]);
  const took = sim.runUntilTrue(() => everyoneSeesAlive(sim, ids, ['newcomer']), 10, 100 * PERIOD_MS);
  if (took < 0) throw new Error('join did not spread');
  void start;
  return { n, periodsToAll: took / PERIOD_MS, log2n: Math.log2(n) };
}

export interface CrashResult {
  n: number;
  trials: number;
  /** Mean periods from crash to the first member suspecting the victim. */
  firstSuspectPeriods: number;
  /** SWIM's expected first-detection time, e/(e-1) periods. */
  swimExpectedFirstDetection: number;
  /** Shortest/longest suspicion timeout at this cluster size, in periods. */
  suspicionMinPeriods: number;
  suspicionMaxPeriods: number;
  /** Mean and worst periods until every live member declared the victim dead. */
  allDeadMeanPeriods: number;
  allDeadMaxPeriods: number;
}

/** Crashes `trials` members of an n-node cluster one after another and times their detection. */
export function crashScenario(n: number, seed: number, trials: number): CrashResult {
  const rng = new Prng(seed);
  const sim = new Simulator({ seed });
  const ids = bootCluster(sim, n, rng);
  sim.run(30 * PERIOD_MS);
  let firstSuspect = 0;
  let allDeadSum = 0;
  let allDeadMax = 0;
  const live = [...ids];
  for (let t = 0; t < trials; t++) {
    const victim = live.splice(Math.floor(rng.next() * live.length), 1)[0] as string;
    const start = sim.now;
    let suspectedAt = -1;
    sim.onEvent((_o, e) => {
      if (suspectedAt < 0 && e.type === 'suspect' && e.member.id === victim) suspectedAt = sim.now;
    });
    sim.crash(victim);
    const took = sim.runUntilTrue(() => live.every((o) => sim.get(o).ml?.member(victim)?.state === 'dead'), 10, 200 * PERIOD_MS);
    if (took < 0 || suspectedAt < 0) throw new Error(`crash of ${victim} not detected`);
    firstSuspect += (suspectedAt - start) / PERIOD_MS;
    allDeadSum += took / PERIOD_MS;
    allDeadMax = Math.max(allDeadMax, took / PERIOD_MS);
    sim.run(20 * PERIOD_MS);
  }
  const c = DEFAULT_GOSSIP_CONFIG;
  const minPeriods = c.suspicionMultiplier * Math.max(1, Math.log10(n));
  return {
    n,
    trials,
    firstSuspectPeriods: firstSuspect / trials,
    swimExpectedFirstDetection: Math.E / (Math.E - 1),
    suspicionMinPeriods: minPeriods,
    suspicionMaxPeriods: minPeriods * c.suspicionMaxTimeoutMult,
    allDeadMeanPeriods: allDeadSum / trials,
    allDeadMaxPeriods: allDeadMax,
  };
}

export interface FalsePositiveResult {
  n: number;
  periods: number;
  lossRate: number;
  stalls: number;
  stallMs: number;
  /** `dead` events about members that never crashed (must be 0). */
  falseDeaths: number;
  /** `suspect` events (summed over observers) and refutations seen. */
  suspectEvents: number;
  refutations: number;
  maxHealthScore: number;
  messages: number;
}

/** n nodes, `lossRate` message loss, one member stalling for `stallMs` every 500 periods, `periods` long. */
export function falsePositiveScenario(seed: number, n: number, periods: number, lossRate: number, stallMs: number): FalsePositiveResult {
  const rng = new Prng(seed);
  const sim = new Simulator({ seed });
  const ids = bootCluster(sim, n, rng);
  sim.setLossRate(lossRate);
  const staller = ids[Math.floor(rng.next() * ids.length)] as string;
  let falseDeaths = 0;
  let suspectEvents = 0;
  let refutations = 0;
  let maxHealthScore = 0;
  sim.onEvent((_o, e) => {
    if (e.type === 'dead') falseDeaths++;
    else if (e.type === 'suspect') suspectEvents++;
    else if (e.type === 'alive') refutations++;
  });
  const start = sim.now;
  let stalls = 0;
  for (let p = 50; p < periods; p += 500) {
    stalls++;
    sim.at(start + p * PERIOD_MS, () => sim.stall(staller, stallMs));
  }
  for (let p = 0; p < periods; p += 100) {
    sim.run(100 * PERIOD_MS);
    for (const id of ids) maxHealthScore = Math.max(maxHealthScore, sim.get(id).ml?.localHealthScore() ?? 0);
  }
  return { n, periods, lossRate, stalls, stallMs, falseDeaths, suspectEvents, refutations, maxHealthScore, messages: sim.stats.sent };
}

export interface PartitionResult {
  n: number;
  partitionPeriods: number;
  /** Periods into the partition until each side saw the whole other side dead (-1: never). */
  sidesDeadAfterPeriods: number;
  /** Periods after healing until all members are alive everywhere with identical views and metadata. */
  convergedAfterPeriods: number;
  metadataConverged: boolean;
}

/** Splits n nodes in halves for `partitionPeriods`, updates metadata on both sides, heals, and times reconvergence. */
export function partitionScenario(seed: number, n: number, partitionPeriods: number): PartitionResult {
  const rng = new Prng(seed);
  const sim = new Simulator({ seed });
  const ids = bootCluster(sim, n, rng);
  sim.get('n0').ml?.setMetadata('ring', 1, utf8('v1'));
  sim.run(10 * PERIOD_MS);
  const a = ids.slice(0, n / 2);
  const b = ids.slice(n / 2);
  const start = sim.now;
  sim.partition([a, b]);
  let sidesDeadAt = -1;
  const otherSideDead = (): boolean =>
    a.every((o) => b.every((s) => sim.get(o).ml?.member(s)?.state === 'dead')) && b.every((o) => a.every((s) => sim.get(o).ml?.member(s)?.state === 'dead'));
  sim.run(5 * PERIOD_MS);
  sim.get(a[0] as string).ml?.setMetadata('ring', 5, utf8('from-a'));
  sim.get(b[0] as string).ml?.setMetadata('ring', 7, utf8('from-b'));
  sim.get(a[1] as string).ml?.setMetadata('tie', 3, utf8('aaa'));
  sim.get(b[1] as string).ml?.setMetadata('tie', 3, utf8('bbb'));
  while (sim.now - start < partitionPeriods * PERIOD_MS) {
    sim.run(PERIOD_MS);
    if (sidesDeadAt < 0 && otherSideDead()) sidesDeadAt = (sim.now - start) / PERIOD_MS;
  }
  const stillDead = otherSideDead();
  sim.heal();
  const agreed = (): boolean => {
    let reference: string | undefined;
    for (const id of ids) {
      const ml = sim.get(id).ml;
      if (ml === null) return false;
      const members = ml.members();
      if (members.length !== n || members.some((m) => m.state !== 'alive')) return false;
      const ring = ml.getMetadata('ring');
      const tie = ml.getMetadata('tie');
      const v = `${view(members)}|${ring?.version}:${String.fromCharCode(...(ring?.value ?? []))}|${String.fromCharCode(...(tie?.value ?? []))}`;
      if (reference === undefined) reference = v;
      else if (v !== reference) return false;
    }
    return true;
  };
  const took = sim.runUntilTrue(agreed, PERIOD_MS, 300 * PERIOD_MS);
  const ring = sim.get('n0').ml?.getMetadata('ring');
  const tie = sim.get(b[5] as string).ml?.getMetadata('tie');
  const metadataConverged = took >= 0 && ring?.version === 7 && String.fromCharCode(...(ring?.value ?? [])) === 'from-b' && String.fromCharCode(...(tie?.value ?? [])) === 'bbb';
  return {
    n,
    partitionPeriods,
    sidesDeadAfterPeriods: stillDead ? sidesDeadAt : -1,
    convergedAfterPeriods: took < 0 ? -1 : took / PERIOD_MS,
    metadataConverged,
  };
}

/** A busy little history (loss, stall, crash, restart, leave, metadata) summarized as a digest. */
export function historyDigest(seed: number): { digest: string; events: number } {
  const rng = new Prng(seed);
  const sim = new Simulator({ seed, lossRate: 0.05, codec: true });
  const ids = bootCluster(sim, 12, rng);
  sim.stall('n3', 2500);
  sim.run(20 * PERIOD_MS);
  sim.crash('n5');
  sim.get('n1').ml?.setMetadata('k', 2, utf8('x'));
  sim.run(60 * PERIOD_MS);
  sim.restart('n5', ['n0']);
  sim.get('n9').ml?.leave();
  sim.run(60 * PERIOD_MS);
  void ids;
  return { digest: sim.digest(), events: sim.eventCount };
}

/** Markdown table of the scenario results. */
export function formatTable(r: { joins: JoinResult[]; crash: CrashResult; fp: FalsePositiveResult; partition: PartitionResult }): string {
  const f = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));
  const rows: [string, string, string][] = [];
  for (const j of r.joins) rows.push([
    `join spreads to all (n=${j.n})`,
    `${f(j.periodsToAll)} periods (${f((j.periodsToAll * PERIOD_MS) / DEFAULT_GOSSIP_CONFIG.gossipIntervalMs)} gossip rounds)`,
    `log2 n = ${f(j.log2n)}`,
  ]);
  const c = r.crash;
  rows.push([`crash: first suspicion (n=${c.n}, ${c.trials} crashes)`, `${f(c.firstSuspectPeriods)} periods (mean)`, `SWIM e/(e-1) = ${f(c.swimExpectedFirstDetection)} periods to the first probe, + 1 period for it to fail`]);
  rows.push([
    `crash: dead at all members (n=${c.n})`,
    `${f(c.allDeadMeanPeriods)} mean / ${f(c.allDeadMaxPeriods)} max periods`,
    `e/(e-1) + suspicion ${f(c.suspicionMinPeriods)}..${f(c.suspicionMaxPeriods)} + 1 last-chance probe`,
  ]);
  const p = r.fp;
  rows.push([
    `false positives (n=${p.n}, ${p.lossRate * 100}% loss, ${p.stalls}× ${p.stallMs / 1000} s stall, ${p.periods} periods)`,
    `${p.falseDeaths} false deaths`,
    `${p.suspectEvents} suspect events, ${p.refutations} recoveries, max health score ${p.maxHealthScore}, ${p.messages} messages`,
  ]);
  const q = r.partition;
  rows.push([`partition ${q.n / 2}+${q.n / 2}: other side dead`, `after ${f(q.sidesDeadAfterPeriods)} periods`, `partition lasts ${q.partitionPeriods} periods`]);
  rows.push([`partition healed: all alive, views + metadata agree`, `${f(q.convergedAfterPeriods)} periods`, `metadata highest version everywhere: ${q.metadataConverged ? 'yes' : 'no'}`]);
  const lines = ['| scenario | measured | reference |', '|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)];
  return lines.join('\n');
}

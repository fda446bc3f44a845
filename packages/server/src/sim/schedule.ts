// The workload and the nemesis of one run, drawn from the seed before the run starts: a list of
// steps, each after a pause. The run is then a pure function of (seed, steps), so a shorter list is
// a prefix of a longer one (fast-check shrinks the step count) and a seed replays exactly.
import type { SimRandom } from './sim-random.js';

/**
 * Which faults a run draws from. `full`: everything, including what makes a node forget history
 * (tombstone reaping, expiry, lost disks, corrupt records, failing writes, a context of another
 * key): issue #13's property. `basic`: crashes, restarts, partitions and link faults only, with
 * hinted handoff and read repair at work; no reaping, no TTLs, no lost or damaged disks.
 */
export type FaultMenu = 'full' | 'basic';

/** A grace period no run reaches: the `basic` menu never reaps. */
const NEVER_MS = 3_600_000;

/** The shape of one run's cluster and workload. */
export interface Profile {
  faults: FaultMenu;
  nodes: number;
  keys: number;
  clients: number;
  tombstoneGraceMs: number;
  readRepairChance: number;
  /** Share of steps that are faults. */
  faultShare: number;
  /** Bounds on the hints a node keeps (hint-admission.ts); the node's defaults when absent. */
  hintBounds?: HintBounds | undefined;
}

/** Tight hint bounds make the caps, the hint window and the max age act within a run. */
export interface HintBounds {
  maxPerTarget: number;
  maxTotal: number;
  windowMs: number;
  maxAgeMs: number;
}

export type ContextChoice = 'read' | 'blind' | 'foreign';

/**
 * Client steps name their coordinator by its place in the key's preference list (`via`), or, in
 * hand-written scenarios, by node (`at`, an index into the cluster's nodes).
 */
export type Step =
  | { kind: 'get'; client: number; key: number; via: number; at?: number; r?: number }
  | { kind: 'put'; client: number; key: number; via: number; at?: number; context: ContextChoice; ttlMs?: number; w?: number }
  | { kind: 'delete'; client: number; key: number; via: number; at?: number; w?: number }
  | { kind: 'crash'; node: number }
  | { kind: 'stop'; node: number }
  | { kind: 'restart'; node: number }
  | { kind: 'lose-disk'; node: number }
  | { kind: 'corrupt'; node: number; key: number }
  | { kind: 'disk-fault'; node: number; writes: number }
  | { kind: 'disk-full'; node: number; forMs: number }
  | { kind: 'partition'; groups: number[][] }
  | { kind: 'heal' }
  | { kind: 'links'; cutRate: number; stallRate: number; slowRate: number };

/**
 * A kind of fault a replay can leave out (`--without`), to see which ingredients a failure needs.
 * Removing one keeps every other step and every pause where it was.
 */
export type Ingredient = 'reap' | 'ttl' | 'foreign-context' | 'lose-disk' | 'corrupt' | 'disk-fault' | 'disk-full' | 'hint-bounds' | 'crash' | 'partition' | 'links';
export const INGREDIENTS: readonly Ingredient[] = ['reap', 'ttl', 'foreign-context', 'lose-disk', 'corrupt', 'disk-fault', 'disk-full', 'hint-bounds', 'crash', 'partition', 'links'];

export interface TimedStep {
  /** Virtual ms to wait before the step. */
  pauseMs: number;
  step: Step;
}

/**
 * Tombstone grace periods drawn: longer than any replica item lives (a write's deadline is the
 * request's 5 s, a read repair's 10 s; replicas drop items past their deadline). A shorter grace
 * lets a delayed write land after the reap and bring the key back whatever the reaper checks:
 * a configuration problem, not the bug this property hunts (seed 44 found it with 1 s).
 */
const GRACE_MS = [11_000, 20_000];

export function drawProfile(random: SimRandom, faults: FaultMenu): Profile {
  const graceMs = random.pick(GRACE_MS);
  return {
    faults,
    nodes: random.pick([3, 4, 4]),
    keys: random.int(1, 4),
    clients: random.int(2, 3),
    tombstoneGraceMs: faults === 'full' ? graceMs : NEVER_MS,
    readRepairChance: random.pick([0, 0.1, 1]),
    faultShare: random.pick([0.15, 0.25, 0.35]),
    hintBounds: random.chance(0.4) ? drawHintBounds(random) : undefined,
  };
}

/** Bounds small enough that a run of a few virtual minutes evicts, refuses and expires hints. */
function drawHintBounds(random: SimRandom): HintBounds {
  return {
    maxPerTarget: random.int(1, 4),
    maxTotal: random.int(3, 8),
    windowMs: random.pick([2_000, 5_000, 15_000]),
    maxAgeMs: random.pick([4_000, 10_000, 30_000]),
  };
}

/** Draws `count` steps. Tracks which nodes it took down so that most runs keep a quorum. */
export function drawSchedule(random: SimRandom, p: Profile, count: number): TimedStep[] {
  const down = new Set<number>();
  let partitioned = false;
  let disksLost = 0;
  const steps: TimedStep[] = [];
  const upNode = (): number | undefined => {
    const up = [...Array(p.nodes).keys()].filter((n) => !down.has(n));
    return up.length > 0 ? random.pick(up) : undefined;
  };
  const full = p.faults === 'full';
  const fault = (): Step | undefined => {
    const roll = random.int(0, 99);
    if (roll < 18 && down.size < 2) {
      const node = upNode()!;
      down.add(node);
      return { kind: random.chance(0.3) ? 'stop' : 'crash', node };
    }
    if (roll < 40 && down.size > 0) {
      const node = random.pick([...down]);
      down.delete(node);
      return { kind: 'restart', node };
    }
    if (roll < 45 && full && disksLost === 0 && down.size < 2) {
      const node = upNode()!;
      down.add(node);
      disksLost++;
      return { kind: 'lose-disk', node };
    }
    if (roll < 60) return full ? { kind: 'corrupt', node: random.int(0, p.nodes - 1), key: random.int(0, p.keys - 1) } : undefined;
    if (roll < 65) return full ? { kind: 'disk-fault', node: random.int(0, p.nodes - 1), writes: random.int(1, 6) } : undefined;
    if (roll < 68) return full ? { kind: 'disk-full', node: random.int(0, p.nodes - 1), forMs: random.int(500, 20_000) } : undefined;
    if (roll < 78 && !partitioned) {
      partitioned = true;
      return { kind: 'partition', groups: partitionGroups(random, p.nodes) };
    }
    if (roll < 88 && partitioned) {
      partitioned = false;
      return { kind: 'heal' };
    }
    if (roll < 100) {
      const calm = random.chance(0.4);
      return calm ? { kind: 'links', cutRate: 0, stallRate: 0, slowRate: 0 } : { kind: 'links', cutRate: random.pick([0, 0.05, 0.2]), stallRate: random.pick([0, 0.05]), slowRate: random.pick([0, 0.1, 0.3]) };
    }
    return undefined;
  };
  while (steps.length < count) {
    const roll = random.int(0, 99);
    // Mostly overlapping operations; sometimes long enough for TTLs, hints, or a grace period.
    const pauseMs = roll < 6 ? random.int(5_000, 25_000) : roll < 14 ? random.int(200, 4000) : random.int(0, 30);
    const step = random.chance(p.faultShare) ? fault() : clientStep(random, p);
    if (step) steps.push({ pauseMs, step });
  }
  return steps;
}

function clientStep(random: SimRandom, p: Profile): Step {
  const client = random.int(0, p.clients - 1);
  const key = random.int(0, p.keys - 1);
  const via = random.int(0, 2);
  const roll = random.int(0, 99);
  const quorum = (): number | undefined => (random.chance(0.15) ? random.int(1, 3) : undefined);
  if (roll < 40) return { kind: 'get', client, key, via, r: quorum() };
  if (roll < 85) {
    const c = random.int(0, 99);
    const context: ContextChoice = c < 60 ? 'read' : c < 96 || p.faults === 'basic' ? 'blind' : 'foreign';
    const ttlMs = random.chance(0.2) && p.faults === 'full' ? random.int(50, 3000) : undefined;
    return { kind: 'put', client, key, via, context, ttlMs, w: quorum() };
  }
  return { kind: 'delete', client, key, via, w: quorum() };
}

/** Random halves, or one node cut off from the rest. */
function partitionGroups(random: SimRandom, nodes: number): number[][] {
  const all = [...Array(nodes).keys()];
  if (random.chance(0.5)) {
    const alone = random.int(0, nodes - 1);
    return [[alone], all.filter((n) => n !== alone)];
  }
  const side = all.filter(() => random.chance(0.5));
  return [side, all.filter((n) => !side.includes(n))];
}

/** The profile and schedule with some ingredients left out (see {@link Ingredient}). */
export function leaveOut(p: Profile, steps: readonly TimedStep[], without: readonly Ingredient[]): { profile: Profile; steps: TimedStep[] } {
  const out = new Set(without);
  const profile = { ...p, ...(out.has('reap') && { tombstoneGraceMs: NEVER_MS }), ...(out.has('hint-bounds') && { hintBounds: undefined }) };
  const keep = (s: Step): Step | undefined => {
    switch (s.kind) {
      case 'put':
        return { ...s, ttlMs: out.has('ttl') ? undefined : s.ttlMs, context: out.has('foreign-context') && s.context === 'foreign' ? 'blind' : s.context };
      case 'crash':
      case 'stop':
      case 'restart':
        return out.has('crash') ? undefined : s;
      case 'partition':
      case 'heal':
        return out.has('partition') ? undefined : s;
      case 'lose-disk':
      case 'corrupt':
      case 'disk-fault':
      case 'disk-full':
      case 'links':
        return out.has(s.kind) ? undefined : s;
      default:
        return s;
    }
  };
  // A left-out step becomes a pause, so everything after it happens when it did.
  const result: TimedStep[] = [];
  let carried = 0;
  for (const t of steps) {
    const step = keep(t.step);
    if (step) {
      result.push({ pauseMs: carried + t.pauseMs, step });
      carried = 0;
    } else carried += t.pauseMs;
  }
  return { profile, steps: result };
}

// The workload and the nemesis of one run, drawn from the seed before the run starts: a list of
// steps, each after a pause. The run is then a pure function of (seed, steps), so a shorter list is
// a prefix of a longer one (fast-check shrinks the step count) and a seed replays exactly.
import type { SimRandom } from './sim-random.js';

/** The shape of one run's cluster and workload. */
export interface Profile {
  nodes: number;
  keys: number;
  clients: number;
  tombstoneGraceMs: number;
  readRepairChance: number;
  /** Share of steps that are faults. */
  faultShare: number;
}

export type ContextChoice = 'read' | 'blind' | 'foreign';

export type Step =
  | { kind: 'get'; client: number; key: number; via: number; r?: number }
  | { kind: 'put'; client: number; key: number; via: number; context: ContextChoice; ttlMs?: number; w?: number }
  | { kind: 'delete'; client: number; key: number; via: number; w?: number }
  | { kind: 'crash'; node: number }
  | { kind: 'restart'; node: number }
  | { kind: 'lose-disk'; node: number }
  | { kind: 'corrupt'; node: number; key: number }
  | { kind: 'disk-fault'; node: number; writes: number }
  | { kind: 'partition'; groups: number[][] }
  | { kind: 'heal' }
  | { kind: 'links'; cutRate: number; stallRate: number; slowRate: number };

export interface TimedStep {
  /** Virtual ms to wait before the step. */
  pauseMs: number;
  step: Step;
}

export function drawProfile(random: SimRandom): Profile {
  return {
    nodes: random.pick([3, 4, 4]),
    keys: random.int(1, 3),
    clients: random.int(2, 3),
    tombstoneGraceMs: random.pick([200, 1000, 3000]),
    readRepairChance: random.pick([0, 0.1, 1]),
    faultShare: random.pick([0.15, 0.25, 0.35]),
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
  const fault = (): Step | undefined => {
    const roll = random.int(0, 99);
    if (roll < 18 && down.size < 2) {
      const node = upNode()!;
      down.add(node);
      return { kind: 'crash', node };
    }
    if (roll < 40 && down.size > 0) {
      const node = random.pick([...down]);
      down.delete(node);
      return { kind: 'restart', node };
    }
    if (roll < 45 && disksLost === 0 && down.size < 2) {
      const node = upNode()!;
      down.add(node);
      disksLost++;
      return { kind: 'lose-disk', node };
    }
    if (roll < 60) return { kind: 'corrupt', node: random.int(0, p.nodes - 1), key: random.int(0, p.keys - 1) };
    if (roll < 68) return { kind: 'disk-fault', node: random.int(0, p.nodes - 1), writes: random.int(1, 3) };
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
    const pauseMs = random.chance(0.08) ? random.int(200, 4000) : random.int(0, 30);
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
    const context: ContextChoice = c < 60 ? 'read' : c < 96 ? 'blind' : 'foreign';
    return { kind: 'put', client, key, via, context, ttlMs: random.chance(0.2) ? random.int(50, 3000) : undefined, w: quorum() };
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

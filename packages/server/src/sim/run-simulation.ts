// One simulation run: a seed gives the cluster's shape, the schedule of client operations and
// faults, and every random choice of the network and the nodes. After the schedule, everything
// is healed and left to settle (hints delivered, repairs and reaps done), every key is read from
// all its replicas twice, and the history is checked.
import { checkHistory, type Violation } from './checker.js';
import { DotLedger } from './dot-ledger.js';
import { History } from './history.js';
import { SimClient } from './sim-client.js';
import { SimCluster } from './sim-cluster.js';
import type { Mutation } from './sim-node.js';
import { SimRandom } from './sim-random.js';
import { drawProfile, drawSchedule, leaveOut, type FaultMenu, type Ingredient, type Profile, type Step, type TimedStep } from './schedule.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimulationOptions {
  seed: number;
  /** Client operations and faults in the schedule. */
  steps: number;
  /** Which faults the schedule draws from (default `full`). */
  faults?: FaultMenu | undefined;
  /** A bug planted on purpose (to prove the checks catch it). */
  mutation?: Mutation | undefined;
  /** Ingredients left out of the drawn schedule (to see what a failure needs). */
  without?: readonly Ingredient[] | undefined;
  /** Record every message, store, hint and reap in the history (slower). */
  trace?: boolean | undefined;
  /** A hand-written run instead of a drawn one (the seed still drives the network and the nodes). */
  scenario?: { profile: Profile; steps: readonly TimedStep[] } | undefined;
}

export interface SimulationResult {
  seed: number;
  steps: number;
  profile: Profile;
  history: History;
  /** Every dot seen, with its value. */
  ledger: DotLedger;
  violations: Violation[];
  stats: {
    virtualMs: number;
    events: number;
    messages: number;
    ops: number;
    acknowledged: number;
    warnings: number;
    hintsLeft: number;
    /** Gossip messages sent, and member events (suspect, dead, alive, joined, left) the nodes' memberlists emitted. */
    gossipMessages: number;
    memberEvents: number;
    /** Digest of every member event of the run: the gossip history (equal across replays of a seed). */
    memberDigest: string;
    /** Keys whose primaries' disks still differed after heal and the first settle, before any final read (hints and background work alone). */
    divergedAfterSettle: number;
  };
}

/** A fixed, realistic epoch: expiries and deadlines are absolute times. */
const START_MS = Date.UTC(2026, 0, 1);
/** Longer than a request's deadline: every operation in flight ends. */
const DRAIN_MS = 6_000;
/** Failure detection, hint delivery, read repair, and the longest grace period (20 s) plus a reaper tick all fit. */
const SETTLE_MS = 26_000;

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const root = new SimRandom(o.seed);
  const drawn = o.scenario?.profile ?? drawProfile(root.fork(), o.faults ?? 'full');
  const { profile, steps: schedule } = leaveOut(drawn, o.scenario?.steps ?? drawSchedule(root.fork(), drawn, o.steps), o.without ?? []);
  const clock = new VirtualClock(START_MS);
  const history = new History(START_MS, o.trace ?? false);
  const ledger = new DotLedger();
  const keys = [...Array(profile.keys).keys()].map((i) => `k${i}`);
  const cluster = new SimCluster({ clock, history, ledger, profile, keys, random: root.fork(), mutation: o.mutation });
  const clients = [...Array(profile.clients).keys()].map((i) => new SimClient(i, cluster, clock, history, keys));
  const nodeId = (i: number): string => cluster.ids[i]!;
  await cluster.start();

  for (const { pauseMs, step } of schedule) {
    await clock.run(pauseMs);
    await apply(step);
  }
  for (const c of clients) c.stop();
  await clock.run(DRAIN_MS);
  await cluster.healAll();
  const reader = new SimClient(-1, cluster, clock, history, keys);
  let divergedAfterSettle = 0;
  for (const round of [1, 2]) {
    await clock.run(SETTLE_MS);
    if (round === 1) {
      for (const key of keys) {
        const differ = cluster.disksDiffer(key);
        if (differ === undefined) continue;
        divergedAfterSettle++;
        history.note(clock.now(), `replicas of ${key} still differ after settling: ${differ}`);
      }
    }
    for (const key of keys) {
      const { values, read, unrepairable } = cluster.valuesOnDisks(key);
      const op = history.invoke({ client: -1, kind: 'get', key, via: 'disks', finalRound: round, fromDisks: true, invokedMs: clock.now() });
      Object.assign(op, { values, replicas: read, unrepairable });
      history.complete(op, clock.now(), 'ok');
    }
    let pending = keys.length;
    for (const key of keys) void reader.get(key, cluster.primaries(key)[0]!, 3, round).then(() => pending--);
    for (let waited = 0; pending > 0 && waited < DRAIN_MS; waited += 10) await clock.run(10);
  }

  return {
    seed: o.seed,
    steps: o.steps,
    profile,
    history,
    ledger,
    violations: checkHistory(history, ledger),
    stats: {
      virtualMs: clock.now() - START_MS,
      events: clock.eventsRun,
      messages: cluster.network.stats.sent,
      ops: history.ops.length,
      acknowledged: history.ops.filter((op) => op.outcome === 'ok' && op.kind !== 'get').length,
      warnings: cluster.warnings,
      hintsLeft: cluster.pendingHints(),
      gossipMessages: cluster.network.stats.gossipSent,
      memberEvents: cluster.memberEvents,
      memberDigest: cluster.memberDigest(),
      divergedAfterSettle,
    },
  };

  async function apply(step: Step): Promise<void> {
    switch (step.kind) {
      case 'get':
      case 'put':
      case 'delete':
        return clients[step.client]!.submit(step);
      case 'crash':
        return cluster.crash(nodeId(step.node));
      case 'stop':
        return cluster.stop(nodeId(step.node));
      case 'restart':
        return cluster.restart(nodeId(step.node));
      case 'lose-disk':
        return cluster.loseDisk(nodeId(step.node));
      case 'corrupt':
        return cluster.corrupt(nodeId(step.node), keys[step.key]!);
      case 'disk-fault':
        return cluster.diskFault(nodeId(step.node), step.writes);
      case 'disk-full':
        return cluster.diskFull(nodeId(step.node), step.forMs);
      case 'partition':
        return cluster.partition(step.groups.map((g) => g.map(nodeId)));
      case 'heal':
        return cluster.heal();
      case 'links':
        return cluster.links({ cutRate: step.cutRate, stallRate: step.stallRate, slowRate: step.slowRate });
    }
  }
}

// The nemesis's plan, drawn entirely from the seed before the run starts: which fault, on which
// nodes or links, from when to when. One fault at a time, with quiet gaps between, so every
// failure in the timeline sits inside a known window.
import type { SeededRandom } from '@quorumkv/harness';

export const NEMESIS_KINDS = ['kill', 'pause', 'partition', 'slow', 'skew', 'membership'] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

/** The shapes of partition: two random halves, one node cut off, a bridge node that sees both halves, one way only. */
export type PartitionShape = 'halves' | 'isolate' | 'bridge' | 'one-way';

/** A directed link: what `from` sends to `to` (node indexes). */
export type Link = readonly [from: number, to: number];

interface WindowBase {
  readonly startMs: number;
  readonly endMs: number;
}

/** One fault window of the plan. */
export type FaultWindow =
  | (WindowBase & { readonly kind: 'kill'; readonly nodes: readonly number[] })
  | (WindowBase & { readonly kind: 'pause'; readonly nodes: readonly number[] })
  | (WindowBase & { readonly kind: 'partition'; readonly shape: PartitionShape; readonly block: 'refuse' | 'drop'; readonly links: readonly Link[] })
  | (WindowBase & { readonly kind: 'slow'; readonly delayMs: number; readonly links: readonly Link[] })
  | (WindowBase & { readonly kind: 'skew'; readonly nodes: readonly number[]; readonly offsetMs: number })
  /**
   * `join`: node `node` (a new index, the next after every node started so far) starts with
   * `--seeds` and `--auto-join`; `leave`: member `node` is asked to leave (staged, planned,
   * committed). Not undone at the end: the cluster keeps its new membership.
   */
  | (WindowBase & { readonly kind: 'membership'; readonly action: 'join' | 'leave'; readonly node: number });

/** Options of {@link planNemesis}. */
export interface NemesisPlanOptions {
  readonly random: SeededRandom;
  readonly nodes: number;
  readonly kinds: readonly NemesisKind[];
  /** Length of the faulty part of the run, ms; every window ends before it. */
  readonly durationMs: number;
  /** Quiet time before the first fault and between faults, ms. Default [2000, 5000]. */
  readonly gapMs?: readonly [number, number];
  /** Length of one fault, ms. Default [3000, 10000]. */
  readonly faultMs?: readonly [number, number];
}

/**
 * The fault windows of a run, in time order, from the seed alone. Membership windows alternate:
 * with `nodes` members one joins, with one more a random member leaves, so the cluster never has
 * fewer than `nodes` members nor more than one extra; later windows pick among the members then.
 */
export function planNemesis(o: NemesisPlanOptions): FaultWindow[] {
  const [gapMin, gapMax] = o.gapMs ?? [2_000, 5_000];
  const [faultMin, faultMax] = o.faultMs ?? [3_000, 10_000];
  const windows: FaultWindow[] = [];
  if (o.kinds.length === 0 || o.nodes < 2) return windows;
  let members = Array.from({ length: o.nodes }, (_, i) => i);
  let nextNode = o.nodes;
  for (let t = o.random.int(gapMin, gapMax); ; t += o.random.int(gapMin, gapMax)) {
    const length = o.random.int(faultMin, faultMax);
    if (t + length > o.durationMs) return windows;
    const kind = o.random.pick(o.kinds);
    const span = { startMs: t, endMs: t + length };
    if (kind === 'membership') {
      const joining = members.length === o.nodes;
      const node = joining ? nextNode++ : o.random.pick(members);
      members = joining ? [...members, node] : members.filter((m) => m !== node);
      windows.push({ ...span, kind, action: joining ? 'join' : 'leave', node });
    } else {
      windows.push(faultWindow(o.random, kind, members, span));
    }
    t += length;
  }
}

function faultWindow(random: SeededRandom, kind: Exclude<NemesisKind, 'membership'>, all: readonly number[], span: WindowBase): FaultWindow {
  const n = all.length;
  // A minority at most, so a quorum of the cluster stays up (but not always of a key's replicas).
  const minority = (): number[] => random.shuffle(all).slice(0, random.int(1, Math.max(1, Math.floor((n - 1) / 2))));
  switch (kind) {
    case 'kill':
      return { ...span, kind, nodes: minority() };
    case 'pause':
      return { ...span, kind, nodes: minority() };
    case 'partition': {
      const shape = random.pick<PartitionShape>(['halves', 'isolate', 'bridge', 'one-way']);
      return { ...span, kind, shape, block: random.pick(['refuse', 'drop'] as const), links: partitionLinks(random, shape, all) };
    }
    case 'slow': {
      const node = random.pick(all);
      return { ...span, kind, delayMs: random.int(50, 400), links: all.filter((i) => i !== node).flatMap((i): Link[] => [[node, i], [i, node]]) };
    }
    case 'skew':
      return { ...span, kind, nodes: minority(), offsetMs: random.pick([-1, 1]) * random.int(2_000, 60_000) };
  }
}

/** The directed links a partition blocks. */
export function partitionLinks(random: SeededRandom, shape: PartitionShape, all: readonly number[]): Link[] {
  const order = random.shuffle(all);
  const both = (a: readonly number[], b: readonly number[]): Link[] => a.flatMap((x) => b.flatMap((y): Link[] => [[x, y], [y, x]]));
  switch (shape) {
    case 'halves': {
      const half = Math.floor(order.length / 2);
      return both(order.slice(0, half), order.slice(half));
    }
    case 'isolate':
      return both(order.slice(0, 1), order.slice(1));
    case 'bridge': {
      // order[0] is the bridge: it reaches both sides, which cannot reach each other.
      const rest = order.slice(1);
      const half = Math.ceil(rest.length / 2);
      return both(rest.slice(0, half), rest.slice(half));
    }
    case 'one-way':
      // order[0] cannot send to anyone; everyone else still reaches it.
      return order.slice(1).map((to): Link => [order[0]!, to]);
  }
}

/** A short description of a window for the timeline and logs, e.g. `partition halves (drop) 0,3|1,2,4`. */
export function describeWindow(w: FaultWindow): string {
  const ids = (nodes: readonly number[]): string => nodes.map((i) => `n${i + 1}`).join(',');
  switch (w.kind) {
    case 'kill':
    case 'pause':
      return `${w.kind} ${ids(w.nodes)}`;
    case 'skew':
      return `skew ${ids(w.nodes)} ${w.offsetMs > 0 ? '+' : ''}${w.offsetMs} ms`;
    case 'membership':
      return `${w.action} ${ids([w.node])}`;
    case 'partition':
      return `partition ${w.shape} (${w.block}, ${w.links.length} links)`;
    case 'slow':
      return `slow +${w.delayMs} ms (${w.links.length} links)`;
  }
}

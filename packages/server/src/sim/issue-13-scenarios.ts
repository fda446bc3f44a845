// Issue #13's sequences, written as simulation scenarios (each step after a pause, nodes n1..n4 by
// index). They mirror the multi-process reproductions of the issue on the simulated cluster: each
// breaks a property on the code before the issue's fixes, and must hold after them. The last two
// are what the random runs found beyond the issue's list.
import type { ContextChoice, Profile, Step, TimedStep } from './schedule.js';

const [n1, n2, n3, n4] = [0, 1, 2, 3];
const [k0, k1] = [0, 1];

/** Three nodes (every node holds every key), or four (k0 lives on n1 n2 n3, n4 is its fallback). */
function profile(nodes: 3 | 4): Profile {
  return { faults: 'full', nodes, keys: 2, clients: 2, tombstoneGraceMs: 11_000, readRepairChance: 1, faultShare: 0 };
}

type Options = { client?: number; key?: number; w?: number; r?: number; ttlMs?: number; context?: ContextChoice };
const put = (at: number, o: Options = {}): Step => ({ kind: 'put', client: o.client ?? 0, key: o.key ?? k0, via: 0, at, context: o.context ?? 'blind', ttlMs: o.ttlMs, w: o.w });
const get = (at: number, o: Options = {}): Step => ({ kind: 'get', client: o.client ?? 0, key: o.key ?? k0, via: 0, at, r: o.r });
const del = (at: number, o: Options = {}): Step => ({ kind: 'delete', client: o.client ?? 0, key: o.key ?? k0, via: 0, at, w: o.w });
/** `[pause ms, step]` pairs to timed steps. */
const steps = (...list: [number, Step][]): TimedStep[] => list.map(([pauseMs, step]) => ({ pauseMs, step }));

export interface Scenario {
  name: string;
  profile: Profile;
  steps: TimedStep[];
}

export const ISSUE_13_SCENARIOS: Scenario[] = [
  {
    name: '1. a blind put reuses the dot of a reaped tombstone that a replica still holds (kv679)',
    profile: profile(3),
    steps: steps(
      [0, put(n1, { w: 3 })],
      [10, get(n1)],
      [10, del(n1, { context: 'read', w: 3 })],
      [100, { kind: 'crash', node: n3 }], // keeps the tombstone through the grace period
      [20_000, { kind: 'restart', node: n3 }],
      [3_000, put(n1)], // n1's record was reaped: its counter starts again
      [10, get(n1, { r: 3 })],
    ),
  },
  {
    name: '2. read repair of a corrupt local copy rolls back a write acknowledged meanwhile',
    profile: profile(3),
    steps: steps(
      [0, put(n1, { w: 3 })],
      [10, { kind: 'corrupt', node: n1, key: k0 }],
      [10, { kind: 'crash', node: n1 }],
      [10, { kind: 'restart', node: n1 }], // a new epoch: the next put's dot is fresh
      [2_000, get(n1, { r: 2 })],
      [1, put(n1, { client: 1 })], // lands on n1 after the replicas answered the read, before the repair
      [100, put(n1)],
      [10, get(n2, { r: 3 })],
    ),
  },
  {
    name: '3. a hint delivered after the reap resurrects a deleted key',
    profile: profile(4),
    steps: steps(
      [0, { kind: 'crash', node: n2 }],
      [2_000, put(n1)], // n4 stands in for n2 and keeps a hint
      [100, { kind: 'crash', node: n4 }],
      [10, { kind: 'restart', node: n2 }],
      [2_000, get(n1)],
      [10, del(n1, { w: 3 })],
      [20_000, { kind: 'restart', node: n4 }], // the tombstone is reaped everywhere by now
      [3_000, get(n1, { r: 3 })],
    ),
  },
  {
    name: '4. expiry drops the causal context and the overwritten value comes back',
    profile: profile(3),
    steps: steps(
      [0, put(n1, { w: 3 })],
      [10, get(n1)],
      [10, { kind: 'crash', node: n3 }],
      [2_000, put(n1, { context: 'read', ttlMs: 2_000 })], // n1 keeps n3's hint
      [100, { kind: 'crash', node: n1 }],
      [10, { kind: 'restart', node: n3 }],
      [4_000, get(n2, { r: 2 })],
      [10, { kind: 'restart', node: n1 }],
      [3_000, get(n2, { r: 3 })],
    ),
  },
  {
    name: "5. a context from another key supersedes a value the client never read",
    profile: profile(3),
    steps: steps(
      [0, put(n2, { key: k1, client: 1 })], // 'y', which client 0 never reads
      [10, put(n2, { key: k0 })],
      [10, get(n2, { key: k0 })],
      [10, put(n2, { key: k0, context: 'read' })],
      [10, get(n2, { key: k0 })],
      [10, put(n2, { key: k1, context: 'foreign' })], // k0's context on k1
      [10, get(n2, { key: k1, r: 3 })],
    ),
  },
  {
    name: '6. an epoch bumped after a failed local commit is not durable, and a restart mints its dots again',
    profile: profile(3),
    steps: steps(
      [0, put(n1, { w: 3 })],
      [10, { kind: 'disk-fault', node: n1, writes: 4 }], // two puts and two epoch persists fail on n1
      [10, put(n1, { w: 2 })],
      [10, put(n1, { w: 2 })],
      [10, { kind: 'crash', node: n1 }],
      [10, { kind: 'restart', node: n1 }],
      [2_000, put(n1)],
      [10, get(n2, { r: 3 })],
    ),
  },
  {
    name: '7. the reaper removes a value written concurrently with the delete (found by the random runs)',
    profile: profile(3),
    steps: steps(
      [0, put(n1, { w: 3 })],
      [10, get(n1)],
      [10, put(n1, { client: 1, w: 3 })], // client 1 never read: a sibling the delete does not cover
      [10, del(n1, { w: 3 })], // the record is [tombstone, client 1's value]: the reaper takes both
      [20_000, get(n2, { r: 3 })],
    ),
  },
  {
    name: '8. a read of R = N that meets a corrupt copy fails without repairing it, so such reads fail for good (found by the random runs)',
    profile: profile(3),
    steps: steps(
      [0, put(n1, { w: 3 })],
      [10, { kind: 'corrupt', node: n2, key: k0 }],
      [10, get(n1, { r: 3 })],
      [2_000, get(n1, { r: 3 })],
    ),
  },
];

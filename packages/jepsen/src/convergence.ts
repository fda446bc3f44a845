// Convergence after heal: every replica of every key the run wrote holds the same causal state
// (the same clock and the same siblings), read from each node with the admin LocalGet, which
// reads that node's own store and nothing else.
import { createClient, type QuorumKvClient } from '@quorumkv/client/node';
import type { Cluster } from '@quorumkv/harness';
import { createHash } from 'node:crypto';

/** A key of a bucket. */
export interface BucketKey {
  readonly bucket: string;
  readonly key: string;
}

/** What the convergence check measured. */
export interface ConvergenceResult {
  /** Replicas agreed with no client reads after heal (hints and gossip alone), and when (s after heal). */
  readonly passiveSeconds: number | null;
  /** Replicas agreed, and when (s after heal): passively, or after read repair (reads at R = N). */
  readonly seconds: number | null;
  /** Read repair was used (the passive phase ran out). */
  readonly readRepair: boolean;
  /** Keys whose replicas still disagreed when the passive phase ran out (empty if it converged). */
  readonly passiveDivergentKeys: readonly string[];
  /** Keys whose replicas still disagreed at the end. */
  readonly divergentKeys: readonly string[];
  /**
   * When the passive phase ran out: what each replica of each divergent key held (`clock|siblings`,
   * by node id), and the hints each node still held, to tell a missing hint from a late one.
   */
  /** Every node's pending hints when the check began (just after heal). */
  readonly hintsAtHeal?: Readonly<Record<string, number | string>>;
  /**
   * The passive phase, poll by poll (each change only): seconds after heal, how many keys still
   * differed, and the nodes whose LocalGet failed in that poll (a restarted node not answering yet).
   */
  readonly passiveTrace?: readonly (readonly [seconds: number, keys: number, unreadable: string])[];
  readonly passiveDetail?: {
    readonly states: Readonly<Record<string, Readonly<Record<string, string>>>>;
    readonly hintsPending: Readonly<Record<string, number | string>>;
  };
}

/** Options of {@link awaitConvergence}. */
export interface ConvergenceOptions {
  readonly cluster: Cluster;
  readonly keys: readonly BucketKey[];
  /** A routing client, to learn each key's replicas and to read at R = N. */
  readonly client: QuorumKvClient;
  /** Replicas per key (the buckets' N). */
  readonly n: number;
  /** How long each phase (passive, then read repair) may take, ms. */
  readonly phaseMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function awaitConvergence(o: ConvergenceOptions): Promise<ConvergenceResult> {
  const admins = o.cluster.nodes.map((n) => createClient({ nodes: [n.address], routing: false, timeoutMs: 3_000 }));
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    const hintsAtHeal = await hintsPendingByNode(o, admins);
    const passiveTrace: [number, number, string][] = [];
    const divergent = (): Promise<BucketKey[]> => divergentKeys(o, admins);
    const traced = async (): Promise<BucketKey[]> => {
      const unreadable = new Set<string>();
      const keys = await divergentKeys(o, admins, unreadable);
      const nodes = [...unreadable].sort().join(',');
      const last = passiveTrace.at(-1);
      if (last?.[1] !== keys.length || last[2] !== nodes) passiveTrace.push([Math.round(seconds() * 10) / 10, keys.length, nodes]);
      return keys;
    };
    let left = await pollUntilAgreed(traced, o.phaseMs);
    const passiveSeconds = left.length === 0 ? seconds() : null;
    if (left.length === 0) return { passiveSeconds, seconds: passiveSeconds, readRepair: false, passiveDivergentKeys: [], divergentKeys: [], hintsAtHeal, passiveTrace };
    const passiveDivergentKeys = left.map((k) => `${k.bucket}/${k.key}`);
    const passiveDetail = await describeDivergence(o, admins, left);
    const phaseEnd = performance.now() + o.phaseMs;
    while (left.length > 0 && performance.now() < phaseEnd) {
      await Promise.all(left.map((k) => o.client.get(k.key, { bucket: k.bucket, r: o.n, resolve: null }).catch(() => undefined)));
      await sleep(250);
      left = await divergent();
    }
    return { passiveSeconds, seconds: left.length === 0 ? seconds() : null, readRepair: true, passiveDivergentKeys, divergentKeys: left.map((k) => `${k.bucket}/${k.key}`), hintsAtHeal, passiveTrace, passiveDetail };
  } finally {
    for (const a of admins) a.close();
  }
}

async function pollUntilAgreed(divergent: () => Promise<BucketKey[]>, ms: number): Promise<BucketKey[]> {
  const until = performance.now() + ms;
  for (;;) {
    const left = await divergent();
    if (left.length === 0 || performance.now() >= until) return left;
    await sleep(250);
  }
}

/** The keys whose replicas do not all hold the same clock and siblings (or cannot be read); adds the nodes that could not be read to `unreadable`. */
async function divergentKeys(o: ConvergenceOptions, admins: readonly QuorumKvClient[], unreadable = new Set<string>()): Promise<BucketKey[]> {
  const out: BucketKey[] = [];
  for (const k of o.keys) {
    const replicas = o.client.replicasOf(k.key, k.bucket).map((a) => o.cluster.addresses.indexOf(o.cluster.clientAddressOf(a)));
    if (replicas.length < o.n || replicas.includes(-1)) {
      out.push(k);
      continue;
    }
    const states = await Promise.all(
      replicas.map((i) =>
        stateOn(admins[i]!, k).catch(() => {
          unreadable.add(o.cluster.nodes[i]!.id);
          return 'unreadable';
        }),
      ),
    );
    if (states.some((s) => s !== states[0] || s === 'unreadable')) out.push(k);
  }
  return out;
}

/** Each divergent key's state on each of its replicas, and every node's pending hints. */
async function describeDivergence(o: ConvergenceOptions, admins: readonly QuorumKvClient[], keys: readonly BucketKey[]): Promise<NonNullable<ConvergenceResult['passiveDetail']>> {
  const states: Record<string, Record<string, string>> = {};
  for (const k of keys) {
    const byNode: Record<string, string> = {};
    for (const a of o.client.replicasOf(k.key, k.bucket)) {
      const i = o.cluster.addresses.indexOf(o.cluster.clientAddressOf(a));
      byNode[o.cluster.nodes[i]?.id ?? a] = i < 0 ? 'unknown' : await stateOn(admins[i]!, k).then(summary, (err: unknown) => `unreadable: ${String(err)}`);
    }
    states[`${k.bucket}/${k.key}`] = byNode;
  }
  return { states, hintsPending: await hintsPendingByNode(o, admins) };
}

/** The hints each node holds (status), by node id. */
async function hintsPendingByNode(o: ConvergenceOptions, admins: readonly QuorumKvClient[]): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  await Promise.all(
    o.cluster.nodes.map(async (n, i) => {
      out[n.id] = await admins[i]!.admin.status().then((s) => s.hintsPending, (err: unknown) => `unreadable: ${String(err)}`);
    }),
  );
  return out;
}

/** A state short enough to print: its clock, and a digest of its siblings (set values are large). */
function summary(state: string): string {
  const bar = state.indexOf('|');
  if (bar < 0) return state;
  const siblings = state.slice(bar + 1);
  return `${state.slice(0, bar)} siblings=${siblings === '' ? 0 : siblings.split(',').length} #${createHash('sha256').update(siblings).digest('hex').slice(0, 12)}`;
}

async function stateOn(admin: QuorumKvClient, k: BucketKey): Promise<string> {
  const rec = await admin.admin.localGet(k.key, { bucket: k.bucket });
  if (!rec.found) return 'absent';
  const siblings = rec.siblings.map((s) => `${s.tombstone ? '-' : '+'}${Buffer.from(s.value).toString('base64')}`).sort();
  return `${rec.clock}|${siblings.join(',')}`;
}

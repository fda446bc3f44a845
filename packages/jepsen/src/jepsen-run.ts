// One Jepsen-style run: a real cluster behind fault proxies, clients recording a history while the
// nemesis works through its seeded plan, then heal, convergence, final reads at R = N, and checks.
import { createClient, type QuorumKvClient } from '@quorumkv/client/node';
import { SeededRandom, startCluster, type Cluster } from '@quorumkv/harness';
import { bytesToString } from '@quorumkv/client';
import { checkLwwSet, checkSet } from './checkers/set-checker.js';
import { checkRegister } from './checkers/register-checker.js';
import { checkSessions } from './checkers/session-checker.js';
import type { CheckResult, FinalState } from './checkers/check-result.js';
import { awaitConvergence, type BucketKey, type ConvergenceResult } from './convergence.js';
import { elapsedMs, type Operation, type Workload } from './history.js';
import { Nemesis, type AppliedWindow } from './nemesis.js';
import { membershipVerdictLine, type MembershipOutcome } from './membership-diagnosis.js';
import { planNemesis, type FaultWindow, type NemesisKind } from './nemesis-schedule.js';
import { BUCKET_OF, KEYS_PER_WORKLOAD, keyOf, runClient } from './workload.js';

/** Options of {@link runJepsen}. */
export interface JepsenOptions {
  readonly seed: number;
  /** Length of the faulty, loaded part, ms. */
  readonly timeMs: number;
  readonly nodes: number;
  readonly workloads: readonly Workload[];
  readonly nemesis: readonly NemesisKind[];
  /** Clients per workload. Default 3. */
  readonly clientsPerWorkload?: number;
  /** Node i on 127.0.0.(hostBase + i). Default 76. */
  readonly hostBase?: number;
  /** How long each convergence phase may take after heal, ms. Default 30000. */
  readonly convergenceMs?: number;
  /**
   * The workload clients use the SDK's session option (read-your-writes and monotonic reads per
   * key): the session checkers then judge (pass/fail) instead of reporting. Default false.
   */
  readonly sessions?: boolean;
  /**
   * R of the workload clients' reads (default the buckets', 2): 1 makes plain reads go back under
   * faults, which sessions must then prevent.
   */
  readonly readR?: number;
  /** How long membership changes may take to finish after heal, ms. Default 180000. */
  readonly settleMs?: number;
  /** Ring partitions. Default 64. */
  readonly partitions?: number;
  readonly log?: (line: string) => void;
}

/** Everything a run produced: the plan, what happened, and the verdicts. */
export interface JepsenResult {
  readonly seed: number;
  readonly options: { readonly timeMs: number; readonly nodes: number; readonly workloads: readonly Workload[]; readonly nemesis: readonly NemesisKind[]; readonly sessions: boolean; readonly readR?: number };
  readonly plan: readonly FaultWindow[];
  readonly applied: readonly AppliedWindow[];
  readonly healMs: number;
  /** With membership changes: seconds after heal until the ring had finished them. */
  readonly membershipSettledSeconds?: number;
  /** With membership changes: whether they finished after heal, and if not, what every node knew. */
  readonly membership?: MembershipOutcome;
  readonly ops: readonly Operation[];
  readonly final: Readonly<Record<string, readonly string[]>>;
  /** Keys whose final read could not be made at R = N (read at the bucket's R instead). */
  readonly finalReadsBelowN?: readonly string[];
  readonly convergence: ConvergenceResult;
  readonly checks: readonly CheckResult[];
  /** False when any checker failed (or replicas never converged, membership changes never finished, or a final read missed R = N). */
  readonly valid: boolean;
}

const N = 3;

export async function runJepsen(o: JepsenOptions): Promise<JepsenResult> {
  const log = o.log ?? (() => {});
  const random = new SeededRandom(o.seed);
  const plan = planNemesis({ random: random.fork(), nodes: o.nodes, kinds: o.nemesis, durationMs: o.timeMs });
  const clientRandoms = o.workloads.flatMap(() => Array.from({ length: o.clientsPerWorkload ?? 3 }, () => random.fork()));
  const cluster = await startCluster({
    nodes: o.nodes,
    n: Math.min(N, o.nodes),
    partitions: o.partitions ?? 64,
    hostBase: o.hostBase ?? 76,
    proxied: true,
    idPrefix: 'n',
    extraArgs: ['--hint-delivery-interval-ms', '250'],
    exitOnSignal: true,
  });
  const clients: QuorumKvClient[] = [];
  const newClient = (session = false): QuorumKvClient => {
    const c = createClient({ nodes: cluster.addresses, mapAddress: cluster.clientAddressOf, timeoutMs: 3_000, session });
    clients.push(c);
    return c;
  };
  try {
    await createBuckets(cluster, o.workloads, newClient);
    const origin = process.hrtime.bigint();
    const now = (): number => elapsedMs(origin);
    const ops: Operation[] = [];
    const over = (): boolean => now() >= o.timeMs;
    const nemesis = new Nemesis(cluster, now, log);
    const loops = o.workloads.flatMap((workload, w) =>
      Array.from({ length: o.clientsPerWorkload ?? 3 }, (_, c) => {
        const process = w * (o.clientsPerWorkload ?? 3) + c;
        return runClient({ process, workload, client: newClient(o.sessions ?? false), random: clientRandoms[process]!, ...(o.readR !== undefined ? { readR: o.readR } : {}), now, stop: over, record: (op) => ops.push(op) });
      }),
    );
    await Promise.all([nemesis.run(plan, over), ...loops]);
    log(`${now().toFixed(0)} ms: heal`);
    await nemesis.heal(o.settleMs ?? 180_000);
    const healMs = now();
    const membership = nemesis.membership;
    if (membership !== undefined) log(membershipVerdictLine(membership));
    const keys: BucketKey[] = o.workloads.flatMap((w) => Array.from({ length: KEYS_PER_WORKLOAD }, (_, i) => ({ bucket: BUCKET_OF[w], key: keyOf(w, i) })));
    const reader = newClient();
    await reader.refreshRing();
    const convergence = await awaitConvergence({ cluster, keys, client: reader, n: Math.min(N, o.nodes), phaseMs: o.convergenceMs ?? 30_000 });
    log(`convergence: ${JSON.stringify(convergence)}`);
    const { values: final, belowN } = await finalReads(reader, keys, Math.min(N, o.nodes));
    if (belowN.length > 0) log(`final reads below R = N: ${belowN.join(',')}`);
    const checks = check(o.workloads, ops, final, o.sessions ?? false);
    const valid = checks.every((c) => c.verdict !== 'fail') && convergence.seconds !== null && membership?.verdict !== 'fail' && belowN.length === 0;
    return {
      seed: o.seed,
      options: { timeMs: o.timeMs, nodes: o.nodes, workloads: o.workloads, nemesis: o.nemesis, sessions: o.sessions ?? false, ...(o.readR !== undefined ? { readR: o.readR } : {}) },
      plan,
      applied: nemesis.applied,
      healMs,
      ...(membership?.seconds !== undefined ? { membershipSettledSeconds: membership.seconds } : {}),
      ...(membership !== undefined ? { membership } : {}),
      ops,
      final: Object.fromEntries(final),
      ...(belowN.length > 0 ? { finalReadsBelowN: belowN } : {}),
      convergence,
      checks,
      valid,
    };
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
  }
}

function check(workloads: readonly Workload[], ops: readonly Operation[], final: FinalState, sessions: boolean): CheckResult[] {
  const checks: CheckResult[] = [];
  if (workloads.includes('set')) checks.push(checkSet(ops, final));
  if (workloads.includes('register')) checks.push(checkRegister(ops, final), ...checkSessions(ops, sessions));
  if (workloads.includes('lww')) checks.push(checkLwwSet(ops, final));
  return checks;
}

/** Creates the workloads' buckets and waits (bounded) until every node knows them. */
export async function createBuckets(cluster: Cluster, workloads: readonly Workload[], newClient: (session?: boolean) => QuorumKvClient): Promise<void> {
  const admin = newClient().admin;
  for (const w of workloads) await admin.createBucket({ name: BUCKET_OF[w], conflicts: w === 'lww' ? 'lww' : 'siblings' });
  const perNode = cluster.nodes.map((n) => createClient({ nodes: [n.address], routing: false, timeoutMs: 3_000 }));
  try {
    for (let i = 0; i < 200; i++) {
      const known = await Promise.all(perNode.flatMap((c) => workloads.map(async (w) => (await c.admin.getBucket(BUCKET_OF[w]).catch(() => undefined)) !== undefined)));
      if (known.every(Boolean)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the workloads\' buckets did not reach every node within 20 s');
  } finally {
    for (const c of perNode) c.close();
  }
}

/**
 * Every key read at R = N (after heal every replica should answer), retried a few times; a key that
 * still cannot be read so (a ring change that never finished leaves a replica out) is read at the
 * bucket's R instead and named in `belowN`, so the checkers still judge it and the run still reports.
 */
async function finalReads(client: QuorumKvClient, keys: readonly BucketKey[], n: number): Promise<{ values: Map<string, string[]>; belowN: string[] }> {
  const values = new Map<string, string[]>();
  const belowN: string[] = [];
  for (const k of keys) {
    let read = await readRetried(client, k, n);
    if (read === undefined) {
      belowN.push(`${k.bucket}/${k.key}`);
      read = await readRetried(client, k, undefined);
    }
    if (read === undefined) throw new Error(`final read of ${k.bucket}/${k.key} failed at R = ${n} and at the bucket's R`);
    values.set(k.key, read);
  }
  return { values, belowN };
}

async function readRetried(client: QuorumKvClient, k: BucketKey, r: number | undefined): Promise<string[] | undefined> {
  for (let attempt = 0; attempt <= 10; attempt++) {
    try {
      const res = await client.get(k.key, { bucket: k.bucket, ...(r !== undefined ? { r } : {}), resolve: null });
      return res.values.map((v) => bytesToString(v));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  return undefined;
}

// Crash cycles: writers keep adding unique elements to sets kept in a bounded number of keys (a
// siblings bucket; an add reads the key, unites its siblings, adds its element and writes back
// with the read's context) while, cycle after cycle, a random node is killed with SIGKILL and
// restarted on its data dir. After each cycle every key is read once at the read quorum, so every
// write acknowledged so far is checked after every cycle, at the cost of one read per key.
import { bytesToString, type QuorumKvClient } from '@quorumkv/client';
import { createClient } from '@quorumkv/client/node';
import { SeededRandom, startCluster } from '@quorumkv/harness';
import { decodeSet, encodeSet } from './checkers/set-checker.js';
import { createBuckets } from './jepsen-run.js';
import { BUCKET_OF } from './workload.js';

/** Options of {@link runCrashCycles}. */
export interface CrashCycleOptions {
  readonly seed: number;
  readonly cycles: number;
  readonly nodes: number;
  /** Concurrent writers. Default 4. */
  readonly writers?: number;
  /** Pause of each writer between adds, ms. Default 25: a steady load. */
  readonly thinkMs?: number;
  /** Keys the sets live in: the reads per check. Default 64. */
  readonly keys?: number;
  /**
   * How long an acknowledged add missing from a check's read is read again before it counts as
   * lost, ms (a write a fallback took is readable once its hint reaches the restarted node).
   * Default 5000.
   */
  readonly settleMs?: number;
  /** Node i on 127.0.0.(hostBase + i). Default 76. */
  readonly hostBase?: number;
  readonly log?: (line: string) => void;
}

/** The counts of a crash-cycle run. */
export interface CrashCycleResult {
  readonly seed: number;
  readonly cycles: number;
  readonly nodes: number;
  readonly kills: number;
  readonly keys: number;
  readonly attempted: number;
  readonly acknowledged: number;
  readonly unknown: number;
  /** Reads made by the checks (one per key per check, plus rereads of keys missing an add). */
  readonly checks: number;
  /** Acknowledged adds checked, summed over the checks (each check covers every one acknowledged by then). */
  readonly checkedWrites: number;
  /** Acknowledged adds a check's first read lacked but a reread within `settleMs` found. */
  readonly lateReads: number;
  /** Acknowledged adds still missing after `settleMs`, with the check that found them (cycles + 1: the last). */
  readonly lost: readonly { readonly key: string; readonly element: string; readonly cycle: number }[];
  /** Elements read that no writer ever added. */
  readonly unexpected: number;
  readonly seconds: number;
  readonly valid: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const BUCKET = BUCKET_OF.set;

export async function runCrashCycles(o: CrashCycleOptions): Promise<CrashCycleResult> {
  const log = o.log ?? (() => {});
  const random = new SeededRandom(o.seed);
  const schedule = random.fork();
  const keyCount = o.keys ?? 64;
  const writerRandoms = Array.from({ length: o.writers ?? 4 }, () => random.fork());
  const started = performance.now();
  const cluster = await startCluster({ nodes: o.nodes, n: Math.min(3, o.nodes), partitions: 64, hostBase: o.hostBase ?? 76, extraArgs: ['--hint-delivery-interval-ms', '250'], exitOnSignal: true });
  const clients: QuorumKvClient[] = [];
  const newClient = (): QuorumKvClient => {
    const c = createClient({ nodes: cluster.addresses, timeoutMs: 3_000 });
    clients.push(c);
    return c;
  };
  const keys = Array.from({ length: keyCount }, (_, i) => `cc-${i}`);
  /** Acknowledged and attempted elements per key. */
  const acked = new Map(keys.map((k) => [k, [] as string[]]));
  const attemptedElements = new Set<string>();
  const counts = { attempted: 0, unknown: 0, checks: 0, checkedWrites: 0, lateReads: 0, unexpected: 0 };
  const lost: { key: string; element: string; cycle: number }[] = [];
  const reported = new Set<string>();
  let writing = true;
  try {
    await createBuckets(cluster, ['set'], newClient);
    const writers = writerRandoms.map(async (r, w) => {
      const client = newClient();
      for (let seq = 0; writing; seq++) {
        const key = keys[r.int(0, keyCount - 1)]!;
        const element = `w${w}-${seq}`;
        counts.attempted++;
        attemptedElements.add(element);
        if (await addElement(client, key, element)) acked.get(key)!.push(element);
        else counts.unknown++;
        await sleep(o.thinkMs ?? 25);
      }
    });
    const reader = newClient();
    const check = async (cycle: number): Promise<void> => {
      // What was acknowledged before the check started; adds acknowledged during it wait for the next.
      const expected = new Map(keys.map((k) => [k, [...acked.get(k)!]]));
      for (let i = 0; i < keys.length; i += 16) {
        await Promise.all(keys.slice(i, i + 16).map((key) => checkKey({ reader, key, expected: expected.get(key)!, cycle, settleMs: o.settleMs ?? 5_000, counts, attemptedElements, lost, reported })));
      }
    };
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      const node = cluster.nodes[schedule.int(0, o.nodes - 1)]!;
      await sleep(schedule.int(200, 1_000));
      await node.kill('SIGKILL');
      await sleep(schedule.int(100, 1_500));
      node.start();
      await node.waitReady(60_000);
      await check(cycle);
      log(`cycle ${cycle}: killed ${node.id}; acknowledged ${[...acked.values()].reduce((s, a) => s + a.length, 0)}, all checked; late ${counts.lateReads}, lost so far ${lost.length}`);
    }
    writing = false;
    await Promise.all(writers);
    await check(o.cycles + 1);
    const acknowledged = [...acked.values()].reduce((s, a) => s + a.length, 0);
    return {
      seed: o.seed,
      cycles: o.cycles,
      nodes: o.nodes,
      kills: o.cycles,
      keys: keyCount,
      attempted: counts.attempted,
      acknowledged,
      unknown: counts.unknown,
      checks: counts.checks,
      checkedWrites: counts.checkedWrites,
      lateReads: counts.lateReads,
      lost,
      unexpected: counts.unexpected,
      seconds: (performance.now() - started) / 1000,
      valid: lost.length === 0 && counts.unexpected === 0,
    };
  } finally {
    writing = false;
    for (const c of clients) c.close();
    await cluster.stop();
  }
}

/** One add: read, unite, add, write back with the read's context. False when its outcome is unknown or it failed. */
async function addElement(client: QuorumKvClient, key: string, element: string): Promise<boolean> {
  try {
    const read = await client.get(key, { bucket: BUCKET, resolve: null });
    const next = encodeSet(new Set([...decodeSet(read.values.map((v) => bytesToString(v))), element]));
    await client.put(key, next, { bucket: BUCKET, ...(read.context.length > 0 ? { context: read.context } : {}) });
    return true;
  } catch {
    return false;
  }
}

interface KeyCheck {
  readonly reader: QuorumKvClient;
  readonly key: string;
  readonly expected: readonly string[];
  readonly cycle: number;
  readonly settleMs: number;
  readonly counts: { checks: number; checkedWrites: number; lateReads: number; unexpected: number };
  readonly attemptedElements: ReadonlySet<string>;
  readonly lost: { key: string; element: string; cycle: number }[];
  /** Elements already counted lost or unexpected, so a later check does not count them again. */
  readonly reported: Set<string>;
}

/** Reads the key at the read quorum; acknowledged adds it lacks are read again until `settleMs`, then lost. */
async function checkKey(c: KeyCheck): Promise<void> {
  c.counts.checkedWrites += c.expected.length;
  const until = performance.now() + c.settleMs;
  let missing: string[] = [...c.expected];
  for (let first = true; ; first = false) {
    const present = await readSet(c.reader, c.key);
    c.counts.checks++;
    for (const e of present) {
      if (!c.attemptedElements.has(e) && !c.reported.has(`${c.key}/${e}`)) {
        c.reported.add(`${c.key}/${e}`);
        c.counts.unexpected++;
      }
    }
    const before = missing.length;
    missing = missing.filter((e) => !present.has(e));
    if (!first) c.counts.lateReads += before - missing.length;
    if (missing.length === 0 || performance.now() >= until) break;
    await sleep(250);
  }
  for (const element of missing) {
    if (c.reported.has(`${c.key}/${element}`)) continue;
    c.reported.add(`${c.key}/${element}`);
    c.lost.push({ key: c.key, element, cycle: c.cycle });
  }
}

/** The set's elements at the read quorum; a read that errors (a node still starting) is retried, bounded. */
async function readSet(client: QuorumKvClient, key: string): Promise<Set<string>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return decodeSet((await client.get(key, { bucket: BUCKET, resolve: null })).values.map((v) => bytesToString(v)));
    } catch (err) {
      if (attempt >= 10) throw err;
      await sleep(300);
    }
  }
}

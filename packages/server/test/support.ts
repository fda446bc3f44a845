// Clients for the nodes of a test cluster, and small helpers the multi-process tests share.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { AdminService, KvService, SessionOpSchema, SessionRequestSchema, type Liveness, type SessionRequest } from '@quorumkv/protocol';
import { decodeRing, preferenceList, type Ring } from '@quorumkv/ring';
import { freePort, NodeHandle, startCluster, type Cluster, type StartClusterOptions } from '@quorumkv/harness';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface NodeClients {
  kv: Client<typeof KvService>;
  admin: Client<typeof AdminService>;
}

/** Connect clients per node, over one HTTP/2 session each; `close()` ends the sessions. */
export class Clients {
  private readonly sessions: Http2SessionManager[] = [];
  private readonly byAddress = new Map<string, NodeClients>();

  of(node: NodeHandle): NodeClients {
    let c = this.byAddress.get(node.address);
    if (!c) {
      const sessionManager = new Http2SessionManager(node.url);
      this.sessions.push(sessionManager);
      const transport = createConnectTransport({ baseUrl: node.url, httpVersion: '2', sessionManager, acceptCompression: [] });
      c = { kv: createClient(KvService, transport), admin: createClient(AdminService, transport) };
      this.byAddress.set(node.address, c);
    }
    return c;
  }

  /** Forgets a node's session (after it was killed, so the next call reconnects). */
  reset(node: NodeHandle): void {
    this.byAddress.delete(node.address);
  }

  close(): void {
    for (const s of this.sessions) s.abort();
  }
}

/** The cluster's ring, as a client would fetch it. */
export async function fetchRing(clients: Clients, node: NodeHandle): Promise<Ring> {
  const res = await clients.of(node).kv.getRouting({});
  return decodeRing(res.ring!.encoded);
}

/** The primaries (node ids) of a key in the default bucket. */
export function primariesOf(ring: Ring, key: string, n: number, bucket = 'default'): string[] {
  return [...preferenceList(ring, bucket, key, n).primaries];
}

/**
 * The nodes of a cluster in a key's preference order: its n primaries first (in the order the
 * ring lists them), then every other node.
 */
export async function nodesForKey(clients: Clients, nodes: readonly NodeHandle[], key: string, n: number, bucket = 'default'): Promise<NodeHandle[]> {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const primaries = primariesOf(await fetchRing(clients, nodes[0]!), key, n, bucket).map((id) => byId.get(id)!);
  return [...primaries, ...nodes.filter((node) => !primaries.includes(node))];
}

/** Waits (bounded) until every node holds the same ring, without a transition, that satisfies `done`. */
export async function settled(clients: Clients, nodes: readonly NodeHandle[], done: (ring: Ring) => boolean, timeoutMs: number): Promise<Ring> {
  let last: Ring | undefined;
  const ok = await eventually(async () => {
    const rings = await Promise.all(nodes.map((n) => fetchRing(clients, n)));
    last = rings[0];
    return rings.every((r) => r.transition === undefined && done(r) && r.checksum === rings[0]!.checksum);
  }, timeoutMs, 250);
  if (!ok) throw new Error(`ring did not settle: version ${last?.version}, transition ${last?.transition ? 'pending' : 'none'}`);
  return last!;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, stepMs = 100): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await check()) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}

/** The value a node holds locally for a key (undefined when it holds none). */
export async function localValues(clients: Clients, node: NodeHandle, key: string, bucket = ''): Promise<string[] | undefined> {
  const res = await clients.of(node).admin.localGet({ bucket, key: enc(key) });
  if (!res.found) return undefined;
  return res.siblings.filter((s) => !s.tombstone).map((s) => dec(s.value)).sort();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until every node sees every other one up (gossip alive, replica channel not backing off). */
export async function waitAllUp(clients: Clients, nodes: readonly NodeHandle[], timeoutMs = 15_000): Promise<void> {
  await waitSeenUp(clients, nodes, nodes.map((n) => n.id), timeoutMs);
}

/** Waits until each of `observers` routes to every node of `ids` (its verify lists none of them down). */
export async function waitSeenUp(clients: Clients, observers: readonly NodeHandle[], ids: readonly string[], timeoutMs = 15_000): Promise<void> {
  const ok = await eventually(async () => {
    for (const node of observers) {
      const v = await clients.of(node).admin.verify({});
      if (v.problems.some((p) => p.down.some((id) => ids.includes(id)))) return false;
    }
    return true;
  }, timeoutMs);
  if (!ok) throw new Error(`${ids.join(', ')} not seen up in time`);
}

/** A node's own record of a key: every sibling (tombstones marked), its clock and its raw bytes. */
export async function localRecord(clients: Clients, node: NodeHandle, key: string, bucket = ''): Promise<{ values: string[]; clock: string; record: Uint8Array } | undefined> {
  const res = await clients.of(node).admin.localGet({ bucket, key: enc(key) });
  if (!res.found) return undefined;
  return { values: res.siblings.map((s) => (s.tombstone ? '<tombstone>' : dec(s.value))).sort(), clock: res.clock, record: res.record };
}

/** The live values a quorum read returns (sorted), or [] when not found. */
export async function readValues(clients: Clients, node: NodeHandle, key: string, r: number, bucket = ''): Promise<string[]> {
  const got = await clients.of(node).kv.get({ bucket, key: enc(key), r });
  return got.found ? got.siblings.map((s) => dec(s.value)).sort() : [];
}

/**
 * Damages every on-disk copy of `marker` in a stopped node's LMDB data file (flips its first
 * byte), so the record holding it fails its checksum: disk corruption from outside the process.
 * Returns how many copies it damaged.
 */
export function corruptOnDisk(dataDir: string, marker: string): number {
  const path = join(dataDir, 'data.mdb');
  const bytes = readFileSync(path);
  const needle = Buffer.from(marker);
  let n = 0;
  for (let at = bytes.indexOf(needle); at >= 0 && n < 1000; at = bytes.indexOf(needle, at + 1)) {
    bytes[at] = bytes[at]! ^ 0xff;
    n++;
  }
  writeFileSync(path, bytes);
  return n;
}

/** Starts a cluster before the tests of the enclosing `describe` and stops it, and the clients, after them. */
export function useCluster(options: StartClusterOptions): { clients: Clients; nodes: () => NodeHandle[] } {
  const clients = new Clients();
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
  });
  afterAll(async () => {
    clients.close();
    await cluster?.stop();
  });
  return { clients, nodes: () => cluster!.nodes };
}

/** The largest value a node takes by default (maxValueBytes), stored as `big` by {@link useOneNode}. */
export const BIG_VALUE_BYTES = 1024 * 1024;

/**
 * A one-node cluster for the test file, with `big` ({@link BIG_VALUE_BYTES}) and `small` stored in
 * the default bucket: what the tests of hostile clients ask for.
 */
export function useOneNode(hostBase: number, extraArgs: string[] = []): { clients: Clients; node: () => NodeHandle } {
  const { clients, nodes } = useCluster({ nodes: 1, hostBase, extraArgs });
  const node = (): NodeHandle => nodes()[0]!;
  beforeAll(async () => {
    await clients.of(node()).kv.put({ key: enc('big'), value: new Uint8Array(BIG_VALUE_BYTES) });
    await clients.of(node()).kv.put({ key: enc('small'), value: enc('v') });
  });
  return { clients, node };
}

/** How `observer` sees ring member `id`: its liveness, incarnation and current address. */
export async function memberAs(clients: Clients, observer: NodeHandle, id: string): Promise<{ liveness: Liveness; incarnation: bigint; address: string }> {
  const m = (await clients.of(observer).admin.members({})).members.find((x) => x.id === id);
  if (!m) throw new Error(`${observer.id} does not list ${id}`);
  return { liveness: m.liveness, incarnation: m.incarnation, address: m.address };
}

/**
 * Writes `count` keys `${prefix}${i}` with `valueBytes`-byte values through one KvService.Session
 * stream, 256 operations per message (fast: an item costs far less than a unary call). Throws on the
 * first operation that failed.
 */
export async function loadKeys(clients: Clients, node: NodeHandle, options: { count: number; prefix: string; valueBytes: number; bucket?: string }): Promise<void> {
  const value = new Uint8Array(options.valueBytes).fill(120);
  const WINDOW = 8 * 256;
  let answered = 0;
  let wake: (() => void) | undefined;
  async function* requests(): AsyncGenerator<SessionRequest> {
    for (let first = 0; first < options.count; first += 256) {
      // A window of messages in flight: the node gets work as fast as it does it, no faster.
      while (first - answered >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
      const ops = [];
      for (let i = first; i < Math.min(options.count, first + 256); i++) {
        ops.push(create(SessionOpSchema, { id: BigInt(i), op: { case: 'put', value: { bucket: options.bucket ?? '', key: enc(`${options.prefix}${i}`), value } } }));
      }
      yield create(SessionRequestSchema, { ops });
    }
  }
  for await (const res of clients.of(node).kv.session(requests())) {
    for (const r of res.results) {
      if (r.result.case !== 'put') throw new Error(`load of ${options.prefix}${r.id} failed: ${JSON.stringify(r.result.value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      answered++;
    }
    wake?.();
    if (answered === options.count) return;
  }
  throw new Error(`session ended after ${answered} of ${options.count} puts`);
}

/** A /healthz prober running in its own process; `stop()` gives what it measured. */
/** What a /healthz prober measured: latencies in ms. */
export interface HealthzFigures {
  probes: number;
  failures: number;
  maxMs: number;
  p99Ms: number;
  /** Every probe's latency, ascending. */
  sortedMs: number[];
}

export interface HealthzProbe {
  stop(): Promise<HealthzFigures>;
}

/**
 * Raises the scheduling priority of processes whose latency a test measures, so that on a shared,
 * saturated machine the figures are the node's rather than the other tenants'. Needs root (or
 * CAP_SYS_NICE); without it the processes keep their priority and the test measures the same way.
 */
export function favour(...pids: (number | undefined)[]): void {
  for (const pid of pids) {
    try {
      if (pid !== undefined) setPriority(pid, -10);
    } catch {
      // not permitted here
    }
  }
}

/** Starts probing `node`'s /healthz every `intervalMs` (resolves once the first probe is under way). */
export async function probeHealthz(node: NodeHandle, intervalMs = 10): Promise<HealthzProbe> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./healthz-probe.mjs', import.meta.url)), node.url, String(intervalMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  favour(child.pid);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const started = await eventually(async () => out.startsWith('probing'), 10_000, 20);
  if (!started) throw new Error('healthz prober did not start');
  return {
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.trim().split('\n').pop()!) as HealthzFigures;
    },
  };
}

/**
 * Starts a node that knows only `seed` (`--seeds`), on 127.0.0.<hostBase + index>, with its data
 * dir beside `near` (another node's data dir); resolves once it is ready. The caller stops it.
 */
export async function startSeeded(options: { id: string; hostBase: number; index: number; seed: NodeHandle; near: NodeHandle; args: readonly string[]; onExit?: (code: number | null) => void }): Promise<NodeHandle> {
  const host = `127.0.0.${options.hostBase + options.index}`;
  const port = await freePort(host);
  const dataDir = join(options.near.dataDir!, '..', options.id);
  const node = new NodeHandle({
    id: options.id,
    host,
    port,
    dataDir,
    args: ['--node-id', options.id, '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', options.seed.address, ...options.args],
    ...(options.onExit ? { onExit: options.onExit } : {}),
  });
  node.start();
  await node.waitReady(30_000);
  return node;
}

/**
 * Starts a node alone (no --initial-cluster, no --seeds: a one-node ring and a cluster of its own,
 * as `cluster create` takes them) on `host`, its data dir and log under `root`; resolves once it
 * is ready. The caller stops it.
 */
export async function startLone(options: { id: string; host: string; root: string; args: readonly string[] }): Promise<NodeHandle> {
  const { id, host, root } = options;
  const port = await freePort(host);
  const dataDir = join(root, id);
  const node = new NodeHandle({ id, host, port, dataDir, logFile: join(root, `${id}.log`), args: ['--node-id', id, '--listen', `${host}:${port}`, '--data-dir', dataDir, ...options.args] });
  node.start();
  await node.waitReady(30_000);
  return node;
}

// The QuorumKV client: data calls (get/put/delete/listKeys and their string and JSON forms) on top
// of the executor (routing, deadlines, retries); runtime-agnostic, the transport is injected.
import { AdminClient } from './admin.js';
import { bytesToJson, bytesToString, jsonToBytes, toBytes, type BytesInput } from './codec.js';
import { toReceipt, toSibling, wireMillis } from './convert.js';
import { mapFailure } from './error-mapping.js';
import { Executor, hedgePolicy } from './executor.js';
import { NodePool } from './node-pool.js';
import { EwmaSelector } from './node-selector/ewma.js';
import { NodeHealth } from './node-selector/health.js';
import { LatencyWindows } from './node-selector/latency-window.js';
import { Prober } from './node-selector/prober.js';
import { DEFAULT_RING_REFRESH_INTERVAL_MS, DEFAULT_TIMEOUT_MS, type ClientOptions } from './options.js';
import { RetryBudget, retryPolicy } from './retry.js';
import { RING_FETCH_NODE_TIMEOUT_MS, RING_FETCH_TIMEOUT_MS, Router } from './routing.js';
import { addressOf, type TransportFactory } from './transport.js';
import { contextVersion, SessionFloors } from './session/session-floors.js';
import { readInSession, type SessionAttempt } from './session/session-read.js';
import type {
  CallOptions,
  DeleteOptions,
  DeleteResult,
  GetOptions,
  GetResult,
  KeyPage,
  ListKeysOptions,
  PutOptions,
  PutResult,
  Sibling,
  SiblingResolver,
} from './types.js';

/** {@link ClientOptions} plus the transport; what the core `createClient` takes. */
export interface CoreClientOptions extends ClientOptions {
  /** Opens connections to nodes: `nodeTransport()` from `@quorumkv/client/node`, `webTransport()` from `/web`. */
  readonly transport: TransportFactory;
}

/** Options of the typed getters: `resolve` sees decoded values and returns one. */
export interface TypedGetOptions<T> extends Omit<GetOptions, 'resolve'> {
  /** Merges concurrent values; the result is written back with the siblings' context. */
  readonly resolve?: ((values: T[], siblings: readonly Sibling[]) => T | Promise<T>) | null;
}

/** One entry of {@link QuorumKvClient.nodeStatus}. */
export interface NodeStatus {
  /** host:port */
  readonly node: string;
  /** False while the node is avoided: it failed and has not answered a probe since, or the cluster reports it dead or left. */
  readonly up: boolean;
  /** Moving average of its latency in ms, once measured. */
  readonly averageMs?: number;
}

const DEFAULT_BUCKET = 'default';
/** Default of `SessionOptions.staleRetries`. */
const DEFAULT_STALE_RETRIES = 3;

/** A client's session state, when `session` is on. */
interface ClientSession {
  readonly floors: SessionFloors;
  readonly staleRetries: number;
}
/** The server accepts request deadlines up to ten minutes. */
const MAX_WIRE_TIMEOUT_MS = 600_000;
const wireTimeout = (ms: number): number => Math.max(1, Math.min(MAX_WIRE_TIMEOUT_MS, ms));
const defaultNow = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** A client of a QuorumKV cluster. Create it with `createClient`; call {@link close} when done. */
export class QuorumKvClient {
  /** Cluster administration (status, members, ring, buckets, verify...). */
  readonly admin: AdminClient;
  private readonly pool: NodePool;
  private readonly router: Router;
  private readonly exec: Executor;
  private readonly resolver: SiblingResolver | undefined;
  private readonly health: NodeHealth;
  private readonly ewma: EwmaSelector;
  private readonly prober: Prober;
  private closed = false;
  private readonly session: ClientSession | undefined;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: CoreClientOptions) {
    const seeds = options.nodes.map(addressOf).filter((n) => n.length > 0);
    if (seeds.length === 0) throw new TypeError('createClient: `nodes` must name at least one node (host:port)');
    const now = options.now ?? defaultNow;
    const health = new NodeHealth(now, options.nodeHealth);
    const ewma = new EwmaSelector(now, options.ewma);
    this.health = health;
    this.ewma = ewma;
    this.pool = new NodePool(options.transport);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timeoutMs = timeoutMs;
    this.now = now;
    this.resolver = options.resolve;
    const session = options.session === true ? {} : options.session || undefined;
    this.session = session ? { floors: new SessionFloors(session), staleRetries: session.staleRetries ?? DEFAULT_STALE_RETRIES } : undefined;
    this.prober = new Prober(
      health,
      {
        probe: async (node, probeTimeoutMs) => {
          await this.pool.get(node).kv.getRouting({ knownVersion: BigInt(this.router.ringVersion) }, { timeoutMs: probeTimeoutMs });
        },
        reportedDownAnswered: () => this.router.refreshAfterFailure(),
      },
      { timeoutMs: options.nodeHealth?.probeTimeoutMs ?? 1000, now },
    );
    health.onDown = () => this.prober.kick();
    this.router = new Router(
      {
        seeds,
        enabled: options.routing ?? true,
        refreshIntervalMs: options.ringRefreshIntervalMs ?? DEFAULT_RING_REFRESH_INTERVAL_MS,
        mapAddress: options.mapAddress ?? ((a) => a),
        now,
        fetchTimeoutMs: options.ringFetchTimeoutMs ?? RING_FETCH_NODE_TIMEOUT_MS,
      },
      {
        getRouting: (node, knownVersion, timeoutMs) => this.pool.get(node).kv.getRouting({ knownVersion: BigInt(knownVersion) }, { timeoutMs }),
        bucketN: async (bucket) => (await this.admin.getBucket(bucket, { timeoutMs: RING_FETCH_TIMEOUT_MS }))?.n,
        onError: (node, err) => {
          // A node that does not answer a ring fetch in time is as unusable as one that refuses it.
          const info = mapFailure(err, 'getRouting', node, 0);
          if (info.nodeFailed || info.timedOut) health.markDown(node);
        },
      },
      health,
      ewma,
    );
    const retry = retryPolicy(options.retry);
    this.exec = new Executor({
      pool: this.pool,
      router: this.router,
      health,
      ewma,
      latency: new LatencyWindows(),
      retry,
      budget: new RetryBudget(retry, now),
      hedge: hedgePolicy(options.hedge, now),
      defaultTimeoutMs: timeoutMs,
      now,
      random: options.random ?? Math.random,
    });
    this.admin = new AdminClient(this.exec);
  }

  /** Version of the ring the client routes with (0 before it has one or with routing off). */
  get ringVersion(): number {
    return this.router.ringVersion;
  }

  /** Fetches the ring now (it is otherwise fetched on first use, on a timer and when responses show a newer one). */
  refreshRing(): Promise<void> {
    return this.router.refresh();
  }

  /** What the client currently thinks of every node it knows: reachable or backing off, and its latency average. */
  nodeStatus(): NodeStatus[] {
    return this.router.nodes.map((node) => {
      const averageMs = this.ewma.averageMs(node);
      return { node, up: this.health.isUp(node), ...(averageMs !== undefined ? { averageMs } : {}) };
    });
  }

  /** host:port of the replicas (preference-list primaries) the client would route `key` to; empty without a ring. */
  replicasOf(key: BytesInput, bucket = DEFAULT_BUCKET): string[] {
    return this.router.replicasOf({ bucket, key: toBytes(key, 'key') }).replicas;
  }

  /**
   * Reads a key: every live sibling and the causal context. A missing key is `found: false`.
   * With a `resolve` hook (per call or per client) and more than one sibling, the merged value is
   * written back with the context and returned as the only value (`resolved: true`).
   */
  async get(key: BytesInput, options: GetOptions = {}): Promise<GetResult> {
    const bucket = options.bucket ?? DEFAULT_BUCKET;
    const keyBytes = toBytes(key, 'key');
    const result = this.session ? await this.getInSession(bucket, keyBytes, options, this.session) : await this.readOnce(bucket, keyBytes, options, {});
    const resolve = options.resolve === null ? undefined : (options.resolve ?? this.resolver);
    if (!resolve || result.siblings.length < 2) return result;
    const merged = toBytes(await resolve(result.siblings));
    const put = await this.put(keyBytes, merged, {
      bucket,
      context: result.context,
      returnBody: true,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const after = put.siblings.length > 0 ? put.siblings : [{ value: merged, timestampMs: Date.now(), writtenBy: put.receipt.coordinator, expiresAtMs: 0 }];
    return { found: true, values: after.map((s) => s.value), siblings: after, context: put.context, receipt: put.receipt, resolved: true };
  }

  /**
   * Writes a value. With `context` (from a previous get/put) it supersedes what that call saw;
   * without, it adds a sibling (or wins by timestamp in an LWW bucket). A write is sent again only
   * when it provably did no work (never sent, or refused before any work), so it is never applied
   * twice, and it is never hedged.
   */
  async put(key: BytesInput, value: BytesInput, options: PutOptions = {}): Promise<PutResult> {
    const bucket = options.bucket ?? DEFAULT_BUCKET;
    const keyBytes = toBytes(key, 'key');
    const valueBytes = toBytes(value, 'value');
    const context = options.context ?? new Uint8Array(0);
    const ttlMs = wireMillis('ttlMs', options.ttlMs);
    const res = await this.exec.run(
      { operation: 'put', target: { bucket, key: keyBytes }, idempotent: false, options },
      async (a) => {
        const r = await a.clients.kv.put(
          {
            bucket: bucket === DEFAULT_BUCKET ? '' : bucket,
            key: keyBytes,
            value: valueBytes,
            context,
            w: options.w,
            timeoutMs: wireTimeout(a.serverTimeoutMs),
            ttlMs,
            returnBody: options.returnBody ?? false,
          },
          { signal: a.signal, timeoutMs: wireTimeout(a.timeoutMs) },
        );
        return { r, node: a.node };
      },
    );
    const receipt = toReceipt(res.r.receipt, res.node);
    this.router.observeRingVersion(receipt.ringVersion);
    if (this.session) observeWrite(this.session, bucket, keyBytes, res.r.context);
    return { context: res.r.context, siblings: res.r.siblings.map(toSibling), receipt };
  }

  /** Deletes a key (a tombstone carrying `context`, or what the coordinator holds when none is given). */
  async delete(key: BytesInput, options: DeleteOptions = {}): Promise<DeleteResult> {
    const bucket = options.bucket ?? DEFAULT_BUCKET;
    const keyBytes = toBytes(key, 'key');
    // Not idempotent: a repeated delete mints another tombstone, and without a context it covers
    // whatever the coordinator holds by then, newer values included.
    const res = await this.exec.run({ operation: 'delete', target: { bucket, key: keyBytes }, idempotent: false, options }, async (a) => {
      const r = await a.clients.kv.delete(
        { bucket: bucket === DEFAULT_BUCKET ? '' : bucket, key: keyBytes, context: options.context ?? new Uint8Array(0), w: options.w, timeoutMs: wireTimeout(a.serverTimeoutMs) },
        { signal: a.signal, timeoutMs: wireTimeout(a.timeoutMs) },
      );
      return { r, node: a.node };
    });
    const receipt = toReceipt(res.r.receipt, res.node);
    this.router.observeRingVersion(receipt.ringVersion);
    return { receipt };
  }

  /**
   * The keys of a bucket, one page per iteration (costly on the server: it asks every partition).
   * Each page is its own call with its own deadline and retries.
   */
  async *listKeys(options: ListKeysOptions = {}): AsyncGenerator<KeyPage, void, undefined> {
    const bucket = options.bucket ?? DEFAULT_BUCKET;
    const prefix = options.prefix === undefined ? new Uint8Array(0) : toBytes(options.prefix, 'prefix');
    let cursor = options.cursor ?? new Uint8Array(0);
    for (;;) {
      const page = await this.exec.run({ operation: 'listKeys', idempotent: true, options }, (a) =>
        a.clients.kv.listKeys(
          { bucket: bucket === DEFAULT_BUCKET ? '' : bucket, prefix, cursor, limit: options.pageSize ?? 0 },
          { signal: a.signal, timeoutMs: wireTimeout(a.timeoutMs) },
        ),
      );
      yield { keys: page.keys, nextCursor: page.nextCursor };
      if (page.nextCursor.length === 0) return;
      cursor = page.nextCursor;
    }
  }

  /** Every key of a bucket, across pages. */
  async *keys(options: ListKeysOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const page of this.listKeys(options)) yield* page.keys;
  }

  /** {@link get} with values decoded as UTF-8. */
  async getString(key: BytesInput, options: TypedGetOptions<string> = {}): Promise<GetResult<string>> {
    return this.getTyped(key, options, bytesToString, (v) => v);
  }

  /** {@link get} with values parsed as JSON. */
  async getJson<T = unknown>(key: BytesInput, options: TypedGetOptions<T> = {}): Promise<GetResult<T>> {
    return this.getTyped(key, options, (b) => bytesToJson<T>(b), jsonToBytes);
  }

  /** {@link put} of a string (UTF-8). */
  putString(key: BytesInput, value: string, options?: PutOptions): Promise<PutResult> {
    return this.put(key, value, options);
  }

  /** {@link put} of a value as JSON. */
  putJson(key: BytesInput, value: unknown, options?: PutOptions): Promise<PutResult> {
    return this.put(key, jsonToBytes(value), options);
  }

  /** Aborts every connection and stops the ring refresh timer. The client is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.prober.close();
    this.router.close();
    this.pool.close();
  }

  /** One get as the executor runs it (routed, hedged, failing over), or pinned to one node. */
  private async readOnce(bucket: string, keyBytes: Uint8Array, options: GetOptions, pin: Partial<SessionAttempt>): Promise<GetResult> {
    const callOptions = pin.timeoutMs !== undefined ? { ...options, timeoutMs: pin.timeoutMs } : options;
    const r = pin.r ?? options.r;
    const spec = { operation: 'get', target: { bucket, key: keyBytes }, idempotent: true, hedge: pin.node === undefined, options: callOptions, ...(pin.node !== undefined ? { node: pin.node } : {}) };
    const res = await this.exec.run(spec, async (a) => {
      const got = await a.clients.kv.get(
        { bucket: bucket === DEFAULT_BUCKET ? '' : bucket, key: keyBytes, r, timeoutMs: wireTimeout(a.serverTimeoutMs) },
        { signal: a.signal, timeoutMs: wireTimeout(a.timeoutMs) },
      );
      return { r: got, node: a.node };
    });
    const receipt = toReceipt(res.r.receipt, res.node);
    this.router.observeRingVersion(receipt.ringVersion);
    const siblings = res.r.siblings.map(toSibling);
    return { found: res.r.found && siblings.length > 0, values: siblings.map((s) => s.value), siblings, context: res.r.context, receipt, resolved: false };
  }

  /** A get that returns only a state including everything this session saw of the key. */
  private async getInSession(bucket: string, keyBytes: Uint8Array, options: GetOptions, session: ClientSession): Promise<GetResult> {
    const target = { bucket, key: keyBytes };
    const { replicas, fallbacks } = this.router.replicasOf(target);
    const { result, version } = await readInSession({
      name: `${bucket}/${bytesToString(keyBytes)}`,
      read: (attempt) => this.readOnce(bucket, keyBytes, options, attempt),
      versionOf: (res) => contextVersion(res.context),
      covers: (v) => session.floors.covers(bucket, keyBytes, v),
      alternatives: (tried) => [...new Set([...replicas, ...fallbacks, ...this.router.nodes])].filter((n) => !tried.has(n) && this.health.isUp(n)),
      n: replicas.length > 1 ? replicas.length : undefined,
      r: options.r,
      retries: session.staleRetries,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      now: this.now,
    });
    session.floors.observe(bucket, keyBytes, version);
    return result;
  }

  private async getTyped<T>(
    key: BytesInput,
    options: TypedGetOptions<T>,
    decode: (b: Uint8Array) => T,
    encode: (v: T) => BytesInput,
  ): Promise<GetResult<T>> {
    const typed = options.resolve;
    const resolve: SiblingResolver | null | undefined =
      typed === null ? null : typed ? async (sibs) => encode(await typed(sibs.map((s) => decode(s.value)), sibs)) : undefined;
    const { resolve: _ignored, ...rest } = options;
    const res = await this.get(key, { ...rest, ...(resolve !== undefined ? { resolve } : {}) });
    return { ...res, values: res.values.map(decode) };
  }
}

/**
 * Raises the session's floor to the context a node handed out for an acknowledged write. A context
 * no node could have made (a broken proxy) is left out rather than failing a write that happened:
 * the write then has no read-your-writes guarantee, which is what a session without it would give.
 */
function observeWrite(session: ClientSession, bucket: string, key: Uint8Array, context: Uint8Array): void {
  let version;
  try {
    version = contextVersion(context);
  } catch {
    return;
  }
  session.floors.observe(bucket, key, version);
}

/** Creates a client with an explicit transport factory (the `/node` and `/web` entries pick one for you). */
export function createClient(options: CoreClientOptions): QuorumKvClient {
  return new QuorumKvClient(options);
}

export type { CallOptions };

// Partition-aware routing: the SDK caches the ring and sends each request straight to a live
// replica of its key (so the receiving node coordinates it without a forwarding hop), the fastest
// one by EWMA; it falls back to any known node when no replica is reachable. "Live" combines what
// this client saw (failures, timeouts, probes) with the cluster's own liveness view, which every
// ring fetch brings along.
import { Liveness, type GetRoutingResponse, type NodeInfo } from '@quorumkv/protocol';
import { allNodes, decodeRing, partitionOf, preferenceListForPartition, replicaSets, type Ring } from '@quorumkv/ring';
import type { EwmaSelector } from './node-selector/ewma.js';
import type { NodeHealth, ReportedLiveness } from './node-selector/health.js';

/** Settings of {@link Router}. */
export interface RouterConfig {
  /** Seed nodes (host:port) given to the client. */
  readonly seeds: readonly string[];
  /** Whether to route by the ring at all (off: spread requests over the seeds). */
  readonly enabled: boolean;
  /** Re-fetch the ring this often even when no response hints at a newer one. */
  readonly refreshIntervalMs: number;
  /** Translates a node's advertised address into one this client can reach (NAT, Docker). */
  readonly mapAddress: (advertised: string) => string;
  /** Clock in milliseconds. */
  readonly now: () => number;
  /** How long one node may take to answer a ring fetch before the next node is asked. */
  readonly fetchTimeoutMs: number;
}

/** What the router needs from the client to learn the ring and bucket sizes. */
export interface RouterIo {
  /** GetRouting on one node, with a deadline. */
  getRouting(node: string, knownVersion: number, timeoutMs: number): Promise<GetRoutingResponse>;
  /** The replica count of a bucket, or undefined for an unknown bucket (it then uses the defaults). */
  bucketN(bucket: string): Promise<number | undefined>;
  /** Reports a failed ring fetch (a timeout included) so the node can be marked down. */
  onError(node: string, err: unknown): void;
}

/** A request's target: the key it is about. */
export interface RouteKey {
  readonly bucket: string;
  readonly key: Uint8Array;
}

/** Deadline of a bucket-size lookup. */
export const RING_FETCH_TIMEOUT_MS = 2000;
/** Default of {@link RouterConfig.fetchTimeoutMs}: GetRouting is tiny, a node slower than this is not worth waiting for. */
export const RING_FETCH_NODE_TIMEOUT_MS = 500;
const RING_RETRY_AFTER_MS = 1000;
const BUCKET_RETRY_AFTER_MS = 5000;
const DEFAULT_BUCKET = 'default';
const LIVENESS: Partial<Record<Liveness, ReportedLiveness>> = {
  [Liveness.ALIVE]: 'alive',
  [Liveness.SUSPECT]: 'suspect',
  [Liveness.DEAD]: 'dead',
  [Liveness.LEFT]: 'left',
};

/** Caches the ring and answers "which node should take this request". */
export class Router {
  private ring: Ring | undefined;
  private defaultN = 0;
  private idToAddress = new Map<string, string>();
  private known: string[];
  private refreshing: Promise<void> | undefined;
  private lastFailedFetchAt = -Infinity;
  private lastObservedRefreshAt = -Infinity;
  private lastFailureRefreshAt = -Infinity;
  private readonly bucketSizes = new Map<string, number>();
  private readonly bucketLookups = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly config: RouterConfig,
    private readonly io: RouterIo,
    private readonly health: NodeHealth,
    private readonly ewma: EwmaSelector,
  ) {
    this.known = [...new Set(config.seeds)];
    if (config.enabled && config.refreshIntervalMs > 0) {
      this.timer = setInterval(() => void this.refresh(), config.refreshIntervalMs);
      // A background refresh must never keep a process alive.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Version of the cached ring; 0 before the first fetch. */
  get ringVersion(): number {
    return this.ring?.version ?? 0;
  }

  /** Every node the client knows (seeds and ring members), as host:port. */
  get nodes(): readonly string[] {
    return this.known;
  }

  /** Resolves once a ring is cached, or a fetch has just failed (requests then go to the seeds). */
  async ensureRing(): Promise<void> {
    if (!this.config.enabled || this.ring || this.closed) return;
    if (this.config.now() - this.lastFailedFetchAt < RING_RETRY_AFTER_MS) return;
    await this.refresh();
  }

  /** A response was routed with `version`: refresh in the background when it is newer than ours. */
  observeRingVersion(version: number): void {
    if (!this.config.enabled || version <= this.ringVersion) return;
    // At most one such refresh per second: a node may report a version no node serves yet.
    const now = this.config.now();
    if (now - this.lastObservedRefreshAt < RING_RETRY_AFTER_MS) return;
    this.lastObservedRefreshAt = now;
    void this.refresh();
  }

  /**
   * A request failed in a way that may mean the cluster changed (a node down, moved or gone):
   * refresh the ring and the liveness view in the background, at most once per second.
   */
  refreshAfterFailure(): void {
    if (!this.config.enabled) return;
    const now = this.config.now();
    if (now - this.lastFailureRefreshAt < RING_RETRY_AFTER_MS) return;
    this.lastFailureRefreshAt = now;
    void this.refresh();
  }

  /** Fetches the ring from the first node that answers; concurrent callers share one fetch. */
  refresh(): Promise<void> {
    if (!this.config.enabled || this.closed) return Promise.resolve();
    this.refreshing ??= this.fetchRing().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /**
   * The node for the next attempt of a request: a live replica of the key (cheapest by EWMA),
   * else a live fallback, else any live known node; nodes in `avoid` (already failed during this
   * call) only when nothing else is left.
   */
  pick(target: RouteKey | undefined, avoid: ReadonlySet<string>): string {
    const fresh = (list: readonly string[]): string[] => list.filter((n) => this.health.isUp(n) && !avoid.has(n));
    if (target && this.ring) {
      const { replicas, fallbacks } = this.replicasOf(target);
      const best = this.ewma.pick(fresh(replicas));
      if (best) return best;
      const fallback = fresh(fallbacks)[0];
      if (fallback) return fallback;
    }
    const any = this.ewma.pick(fresh(this.known));
    if (any) return any;
    const up = this.ewma.pick(this.known.filter((n) => this.health.isUp(n)));
    if (up) return up;
    return this.health.soonestUp(this.known) ?? this.known[0]!;
  }

  /**
   * A live replica of the key other than those in `avoid`, for a hedge: undefined when there is
   * none (a hedge to a non-replica would only be forwarded to the same replicas).
   */
  pickReplica(target: RouteKey, avoid: ReadonlySet<string>): string | undefined {
    if (!this.ring) return undefined;
    return this.ewma.pick(this.replicasOf(target).replicas.filter((n) => this.health.isUp(n) && !avoid.has(n)));
  }

  /** Replica and fallback addresses of a key under the cached ring (empty without a ring). */
  replicasOf(target: RouteKey): { replicas: string[]; fallbacks: string[] } {
    const ring = this.ring;
    if (!ring) return { replicas: [], fallbacks: [] };
    const sized = this.bucketSize(target.bucket);
    // Clamped to the ring's members, as the nodes resolve a bucket (buckets.ts).
    const n = sized === undefined ? undefined : Math.max(1, Math.min(sized, ring.nodes.length));
    const isUp = (id: string): boolean => {
      const addr = this.idToAddress.get(id);
      return addr !== undefined && this.health.isUp(addr);
    };
    // One hash per request: the partition serves the preference list and, during a change, the replica sets.
    const partition = partitionOf(ring.partitionCount, target.bucket, target.key);
    const list = preferenceListForPartition(ring, partition, n ?? this.defaultN, isUp);
    const addr = (ids: readonly string[]): string[] =>
      ids.map((id) => this.idToAddress.get(id)).filter((a): a is string => a !== undefined);
    // During a ring change a partition whose data has moved is served by its new replica set (the
    // nodes' own plan, request-plan.ts): an old holder asked for it would only forward the request.
    const current = ring.transition === undefined ? list.primaries : replicaSets(ring, partition, n ?? this.defaultN).current;
    // Until the bucket's n is known only the first primary is certainly a replica of it.
    const primaries = n === undefined ? current.slice(0, 1) : current;
    const fallbacks = ring.transition === undefined ? list.fallbacks : list.fallbacks.filter((id) => !current.includes(id));
    return { replicas: addr(primaries), fallbacks: addr(fallbacks) };
  }

  /** Stops the refresh timer. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private bucketSize(bucket: string): number | undefined {
    if (bucket === DEFAULT_BUCKET || bucket === '') return this.defaultN;
    const n = this.bucketSizes.get(bucket);
    if (n !== undefined) return n;
    const last = this.bucketLookups.get(bucket) ?? -Infinity;
    if (this.config.now() - last >= BUCKET_RETRY_AFTER_MS) {
      this.bucketLookups.set(bucket, this.config.now());
      this.io.bucketN(bucket).then(
        (found) => {
          this.bucketSizes.set(bucket, found ?? this.defaultN);
        },
        () => undefined,
      );
    }
    return undefined;
  }

  private async fetchRing(): Promise<void> {
    const tried = new Set<string>();
    for (let i = 0; i < this.known.length && !this.closed; i++) {
      const node = this.pick(undefined, tried);
      if (tried.has(node)) break;
      tried.add(node);
      try {
        const res = await this.io.getRouting(node, this.ringVersion, this.config.fetchTimeoutMs);
        this.health.markUp(node);
        if (!res.unchanged && res.ring && res.ring.encoded.length > 0) this.install(decodeRing(res.ring.encoded), res.ring.defaultN);
        this.applyView(res.nodes.length > 0 ? res.nodes : (res.ring?.nodes ?? []));
        return;
      } catch (err) {
        this.io.onError(node, err);
      }
    }
    this.lastFailedFetchAt = this.config.now();
  }

  /**
   * The answering node's view of the ring's nodes: their current addresses, and liveness for
   * routing (a node it reports dead or left is avoided until a probe answers and a later view
   * no longer says so).
   */
  private applyView(nodes: readonly NodeInfo[]): void {
    let moved = false;
    for (const n of nodes) {
      if (!this.idToAddress.has(n.id)) continue;
      if (n.address) {
        const address = this.config.mapAddress(n.address);
        if (this.idToAddress.get(n.id) !== address) {
          this.idToAddress.set(n.id, address);
          moved = true;
        }
      }
      this.health.report(this.idToAddress.get(n.id)!, LIVENESS[n.liveness] ?? 'unknown');
    }
    if (moved) this.known = [...new Set([...this.config.seeds, ...this.idToAddress.values()])];
  }

  private install(ring: Ring, defaultN: number): void {
    if (this.ring && ring.version < this.ring.version) return;
    this.ring = ring;
    this.defaultN = Math.max(1, Math.min(defaultN || 3, ring.nodes.length));
    // A transition's joiners too: they are replicas of the partitions it has moved to them.
    this.idToAddress = new Map(allNodes(ring).map((n) => [n.id, this.config.mapAddress(n.address)]));
    this.known = [...new Set([...this.config.seeds, ...this.idToAddress.values()])];
    // Bucket sizes may have changed along with the ring.
    this.bucketLookups.clear();
    this.bucketSizes.clear();
  }
}

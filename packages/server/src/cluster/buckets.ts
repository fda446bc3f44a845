// Bucket properties: cluster metadata, gossiped (highest version wins) and persisted locally, one
// entry per bucket, so a restarted node knows its buckets before gossip catches up and a change
// writes only the bucket that changed. A cluster has at most `maxBuckets`: every definition lives in
// every node's memory, gossip state and metadata, so their number is bounded like any other input.
// The node that creates a bucket checks the cap against the buckets it knows; definitions arriving
// by gossip are taken whatever the count (refusing them would make nodes disagree), so creations
// racing on different nodes can overshoot the cap by the few that were not known yet.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BucketPropsSchema, ConflictMode, ListBucketsResponseSchema, type BucketProps } from '@quorumkv/protocol';
import { preferenceListForPartition, targetRing, type Ring } from '@quorumkv/ring';
import { NodeArgumentError, NodeClusterChangeError, NodeLimitExceededError } from '../errors/errors.js';

/** A bucket as a request sees it: properties clamped to the cluster. */
export interface EffectiveBucket {
  name: string;
  nameBytes: Uint8Array;
  n: number;
  r: number;
  w: number;
  lww: boolean;
  defaultTtlMs: number;
  /**
   * The bucket's own n and w, before clamping: once a ring smaller than n grows, its replicas and
   * quorum are these clamped to the grown ring (see replicasAfter in the ring package).
   */
  configured: { readonly n: number; readonly w: number };
}

export interface BucketDefaults {
  n: number;
  r: number;
  w: number;
  autoCreate: boolean;
  /** Most buckets the cluster may have (`default` counts once created explicitly). */
  maxBuckets: number;
}

const encoder = new TextEncoder();
export const DEFAULT_BUCKET = 'default';
/** The largest n a bucket can have. */
export const MAX_N = 7;

/**
 * Every node that may hold a copy of the keys of `partition`: its primaries under any n a bucket
 * can have. A bucket's n can be lowered (and raised again), and a node that stops being a primary
 * keeps its copies, so whatever must account for every copy of a key (the reaper) asks these.
 */
export function possibleHolders(ring: Ring, partition: number): readonly string[] {
  const holders = preferenceListForPartition(ring, partition, MAX_N).primaries;
  // During an ownership transition the target's replicas receive copies too.
  const target = targetRing(ring);
  if (target === undefined) return holders;
  return [...new Set([...holders, ...preferenceListForPartition(target, partition, MAX_N).primaries])];
}
/** Prefix of a bucket's gossip metadata key and of its storage metadata name. */
export const METADATA_PREFIX = 'bucket:';

/** Where bucket changes are published (gossip metadata) and kept (storage meta, under `key`). */
export interface BucketStore {
  publish(key: string, version: number, value: Uint8Array): void;
  persist(key: string, value: Uint8Array): Promise<void>;
}

/** The ownership change in progress: the largest n its transfers copy data for, and its target's node count. */
export interface TransitionCover {
  n: number;
  targetNodes: number;
}

/** The node's view of every bucket. */
export class BucketRegistry {
  private readonly buckets = new Map<string, BucketProps>();
  private readonly effective = new Map<string, EffectiveBucket>();

  constructor(
    private readonly defaults: BucketDefaults,
    private readonly clusterSize: () => number,
    private readonly store: BucketStore,
    /** The ring's transition, if any: a bucket whose keys its transfers would not copy is refused meanwhile. */
    private readonly transition: () => TransitionCover | undefined = () => undefined,
  ) {}

  /**
   * Loads buckets persisted by an earlier run: one definition per entry, and (from data dirs written
   * before definitions were kept one by one) the list of all of them; the highest version wins.
   */
  load(definitions: readonly Uint8Array[], legacyAll?: Uint8Array): void {
    const all = legacyAll ? [...fromBinary(ListBucketsResponseSchema, legacyAll).buckets] : [];
    for (const bytes of definitions) all.push(fromBinary(BucketPropsSchema, bytes));
    for (const b of all) if ((this.buckets.get(b.name)?.version ?? -1n) < b.version) this.buckets.set(b.name, b);
  }

  /** Applies a gossiped metadata entry; returns true when it was a bucket. */
  applyMetadata(key: string, value: Uint8Array): boolean {
    if (!key.startsWith(METADATA_PREFIX)) return false;
    const props = fromBinary(BucketPropsSchema, value);
    const current = this.buckets.get(props.name);
    if (current && current.version >= props.version) return true;
    this.buckets.set(props.name, props);
    this.effective.clear();
    void this.store.persist(METADATA_PREFIX + props.name, value).catch(() => undefined);
    return true;
  }

  /** Every bucket, `default` included. */
  list(): BucketProps[] {
    const out = new Map(this.buckets);
    if (!out.has(DEFAULT_BUCKET)) out.set(DEFAULT_BUCKET, this.defaultProps(DEFAULT_BUCKET));
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** One bucket's properties, or undefined. */
  get(name: string): BucketProps | undefined {
    if (this.buckets.has(name)) return this.buckets.get(name);
    return name === DEFAULT_BUCKET ? this.defaultProps(name) : undefined;
  }

  /** Creates or updates a bucket, validating its properties. */
  async create(input: BucketProps): Promise<BucketProps> {
    const name = input.name;
    if (name.length === 0 || encoder.encode(name).length > 255) throw new NodeArgumentError('props.name', 'must be 1 to 255 bytes');
    const n = input.n || this.defaults.n;
    if (n < 1 || n > MAX_N) throw new NodeArgumentError('props.n', `must be between 1 and ${MAX_N} (got ${n})`);
    const r = input.r || Math.min(this.defaults.r, n);
    const w = input.w || Math.min(this.defaults.w, n);
    if (r < 1 || r > n) throw new NodeArgumentError('props.r', `must be between 1 and n=${n} (got ${r})`);
    if (w < 1 || w > n) throw new NodeArgumentError('props.w', `must be between 1 and n=${n} (got ${w})`);
    const current = this.buckets.get(name);
    if (!current) this.checkRoom(name);
    this.checkCovered(name, n, current?.n);
    const props = create(BucketPropsSchema, {
      name,
      n,
      r,
      w,
      conflicts: input.conflicts === ConflictMode.LWW ? ConflictMode.LWW : ConflictMode.SIBLINGS,
      defaultTtlMs: input.defaultTtlMs,
      version: (current?.version ?? 0n) + 1n,
    });
    this.buckets.set(name, props);
    this.effective.clear();
    const bytes = toBinary(BucketPropsSchema, props);
    this.store.publish(METADATA_PREFIX + name, Number(props.version), bytes);
    await this.store.persist(METADATA_PREFIX + name, bytes);
    return props;
  }

  /**
   * The bucket a request names (empty = default), clamped to the cluster size. Unknown buckets are
   * refused unless auto-creation is on.
   */
  resolve(name: string): EffectiveBucket {
    const key = name || DEFAULT_BUCKET;
    let e = this.effective.get(key);
    if (e) return e;
    let props = this.get(key);
    if (!props) {
      if (!this.defaults.autoCreate) throw new NodeArgumentError('bucket', `unknown bucket "${key}" (create it first, or start nodes with --auto-create-buckets)`);
      this.checkRoom(key);
      props = this.defaultProps(key);
      void this.create(props).catch(() => undefined);
    }
    const n = Math.max(1, Math.min(props.n, this.clusterSize()));
    e = {
      name: key,
      nameBytes: encoder.encode(key),
      n,
      r: Math.min(props.r, n),
      w: Math.min(props.w, n),
      lww: props.conflicts === ConflictMode.LWW,
      defaultTtlMs: Number(props.defaultTtlMs),
      configured: { n: props.n, w: props.w },
    };
    this.effective.set(key, e);
    return e;
  }

  /**
   * The replica count a ring change to `members` members copies data for: the largest n of any
   * bucket clamped to that many members (not to the ring in force, which may be smaller).
   */
  largestN(members: number): number {
    return Math.max(1, ...this.list().map((b) => Math.min(b.n, members)));
  }

  /** Forgets cached effective properties (the cluster size changed). */
  invalidate(): void {
    this.effective.clear();
  }

  private defaultProps(name: string): BucketProps {
    return create(BucketPropsSchema, { name, n: this.defaults.n, r: this.defaults.r, w: this.defaults.w, conflicts: ConflictMode.SIBLINGS, version: 0n });
  }

  /**
   * Refuses, during an ownership transition, a bucket (or a raise of its n) whose replicas under
   * the target ring would include nodes the transition's transfers do not copy its keys to (they
   * cover n up to the transition's n): once the change finished, those replicas would lack data.
   */
  private checkCovered(name: string, n: number, previousN: number | undefined): void {
    const t = this.transition();
    if (t === undefined) return;
    const effective = Math.min(n, t.targetNodes);
    if (effective <= t.n || effective <= Math.min(previousN ?? 0, t.targetNodes)) return;
    throw new NodeClusterChangeError(
      `props.n: bucket "${name}" with n=${n} would have ${effective} replicas, more than the n=${t.n} the ring change in progress copies data for; create it (or raise its n) once the change finishes`,
    );
  }

  /** Refuses a new bucket once the cluster has `maxBuckets`. */
  private checkRoom(name: string): void {
    if (this.buckets.size >= this.defaults.maxBuckets) {
      throw new NodeLimitExceededError('maxBuckets', `the cluster has ${this.buckets.size} buckets, the most it allows; bucket "${name}" was not created`);
    }
  }
}

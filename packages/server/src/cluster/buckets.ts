// Bucket properties: cluster metadata, gossiped (highest version wins) and persisted locally so a
// restarted node knows its buckets before gossip catches up.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BucketPropsSchema, ConflictMode, ListBucketsResponseSchema, type BucketProps } from '@quorumkv/protocol';
import { preferenceListForPartition, type Ring } from '@quorumkv/ring';
import { NodeArgumentError } from '../errors/errors.js';

/** A bucket as a request sees it: properties clamped to the cluster. */
export interface EffectiveBucket {
  name: string;
  nameBytes: Uint8Array;
  n: number;
  r: number;
  w: number;
  lww: boolean;
  defaultTtlMs: number;
}

export interface BucketDefaults {
  n: number;
  r: number;
  w: number;
  autoCreate: boolean;
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
  return preferenceListForPartition(ring, partition, MAX_N).primaries;
}
const METADATA_PREFIX = 'bucket:';

/** Where bucket changes are published (gossip metadata) and kept (storage meta). */
export interface BucketStore {
  publish(key: string, version: number, value: Uint8Array): void;
  persist(all: Uint8Array): Promise<void>;
}

/** The node's view of every bucket. */
export class BucketRegistry {
  private readonly buckets = new Map<string, BucketProps>();
  private readonly effective = new Map<string, EffectiveBucket>();

  constructor(
    private readonly defaults: BucketDefaults,
    private readonly clusterSize: () => number,
    private readonly store: BucketStore,
  ) {}

  /** Loads buckets persisted by an earlier run. */
  load(bytes: Uint8Array | undefined): void {
    if (!bytes) return;
    for (const b of fromBinary(ListBucketsResponseSchema, bytes).buckets) this.buckets.set(b.name, b);
  }

  /** Applies a gossiped metadata entry; returns true when it was a bucket. */
  applyMetadata(key: string, value: Uint8Array): boolean {
    if (!key.startsWith(METADATA_PREFIX)) return false;
    const props = fromBinary(BucketPropsSchema, value);
    const current = this.buckets.get(props.name);
    if (current && current.version >= props.version) return true;
    this.buckets.set(props.name, props);
    this.effective.clear();
    void this.store.persist(this.encodeAll());
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
    this.store.publish(METADATA_PREFIX + name, Number(props.version), toBinary(BucketPropsSchema, props));
    await this.store.persist(this.encodeAll());
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
      props = this.defaultProps(key);
      void this.create(props);
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
    };
    this.effective.set(key, e);
    return e;
  }

  /** Forgets cached effective properties (the cluster size changed). */
  invalidate(): void {
    this.effective.clear();
  }

  private defaultProps(name: string): BucketProps {
    return create(BucketPropsSchema, { name, n: this.defaults.n, r: this.defaults.r, w: this.defaults.w, conflicts: ConflictMode.SIBLINGS, version: 0n });
  }

  private encodeAll(): Uint8Array {
    return toBinary(ListBucketsResponseSchema, create(ListBucketsResponseSchema, { buckets: [...this.buckets.values()] }));
  }
}

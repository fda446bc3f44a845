// The SDK's public data shapes: plain objects with numbers (never bigint, so JSON.stringify works)
// and byte arrays, independent of the generated protobuf classes.
import type { BytesInput } from './codec.js';

/** One concurrent value of a key. */
export interface Sibling {
  /** The value bytes. */
  readonly value: Uint8Array;
  /** Coordinator wall-clock time of the write (ms since the epoch). */
  readonly timestampMs: number;
  /** Node id that coordinated the write. */
  readonly writtenBy: string;
  /** Absolute expiry (ms since the epoch); 0 means none. */
  readonly expiresAtMs: number;
}

/** One replica's part in a request. */
export interface ReplicaReceipt {
  readonly nodeId: string;
  /** True when it stood in for a primary that was down. */
  readonly fallback: boolean;
  /** The primary it stood in for, when `fallback`. */
  readonly standingInFor: string;
  readonly ok: boolean;
  /** Why it did not answer, when not `ok`. */
  readonly error: string;
  readonly latencyUs: number;
}

/** Which replicas took part in a request: the consistency actually obtained. */
export interface Receipt {
  /** R or W of the request. */
  readonly required: number;
  readonly asked: number;
  readonly answered: number;
  readonly replicas: readonly ReplicaReceipt[];
  /** Live siblings of the key after the operation. */
  readonly siblingCount: number;
  /** Ring version the coordinator routed with. */
  readonly ringVersion: number;
  /** Node id of the coordinator. */
  readonly coordinator: string;
  /** True when the node the SDK called was not a replica and forwarded the request. */
  readonly forwarded: boolean;
  /**
   * LWW buckets only: the write was acknowledged but not kept, because a value with a later
   * timestamp was already stored (last-write-wins discards it; siblings buckets never do).
   */
  readonly lwwLost: boolean;
  /** host:port the SDK sent the request to. */
  readonly node: string;
}

/** Result of {@link QuorumKvClient.get}. A missing key is `found: false`, not an error. */
export interface GetResult<T = Uint8Array> {
  readonly found: boolean;
  /** The siblings' values (one unless writes were concurrent); empty when not found. */
  readonly values: T[];
  /** The siblings with their metadata. */
  readonly siblings: Sibling[];
  /** Opaque causal context: pass it to `put`/`delete` to supersede these siblings. */
  readonly context: Uint8Array;
  readonly receipt: Receipt;
  /** True when a `resolve` hook merged siblings and wrote the result back. */
  readonly resolved: boolean;
}

/** Result of {@link QuorumKvClient.put}. */
export interface PutResult {
  /** Causal context after the write, for the next `put` of this key. */
  readonly context: Uint8Array;
  /** Siblings after the write, when `returnBody` was set. */
  readonly siblings: Sibling[];
  readonly receipt: Receipt;
}

/** Result of {@link QuorumKvClient.delete}. */
export interface DeleteResult {
  readonly receipt: Receipt;
}

/** One page of {@link QuorumKvClient.listKeys}. */
export interface KeyPage {
  /** Keys in byte order. */
  readonly keys: Uint8Array[];
  /** Cursor of the next page; empty on the last page. */
  readonly nextCursor: Uint8Array;
}

/**
 * Merges concurrent siblings into one value. The SDK writes the result back with the siblings'
 * context, so the merge supersedes all of them.
 */
export type SiblingResolver = (siblings: readonly Sibling[]) => BytesInput | Promise<BytesInput>;

/** Options every call accepts. */
export interface CallOptions {
  /** Cancels the call (rejects with `CancelledError`). */
  readonly signal?: AbortSignal;
  /** Deadline of the whole call, retries included; default the client's `timeoutMs`. */
  readonly timeoutMs?: number;
}

/** Options of `get`. */
export interface GetOptions extends CallOptions {
  /** Bucket; default `"default"`. */
  readonly bucket?: string;
  /** Read quorum; default the bucket's. */
  readonly r?: number;
  /** Merge siblings (overrides the client's `resolve`; `null` disables it for this call). */
  readonly resolve?: SiblingResolver | null;
}

/** Options of `put`. */
export interface PutOptions extends CallOptions {
  readonly bucket?: string;
  /** Context of a previous `get`/`put` of the key: the write supersedes what it saw. */
  readonly context?: Uint8Array;
  /** Write quorum; default the bucket's. */
  readonly w?: number;
  /** Time to live in milliseconds; default the bucket's. */
  readonly ttlMs?: number;
  /** Return the siblings after the write. */
  readonly returnBody?: boolean;
}

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  readonly bucket?: string;
  /** Context of a previous `get`; without it the coordinator deletes what it currently holds. */
  readonly context?: Uint8Array;
  readonly w?: number;
}

/** Options of `listKeys`. */
export interface ListKeysOptions extends CallOptions {
  readonly bucket?: string;
  /** Only keys starting with these bytes. */
  readonly prefix?: BytesInput;
  /** Keys per page, 1 to 10000; default 1000. */
  readonly pageSize?: number;
  /** Start after a previous page (its `nextCursor`). */
  readonly cursor?: Uint8Array;
}

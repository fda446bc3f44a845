/**
 * Argument checks shared by both engines, so they reject the same inputs with the same errors.
 */
import { StorageArgumentError } from './errors.js';
import type { ListKeysOptions, ScanOptions, StoredRecord } from './engine.js';
import { decodeDataKey } from './key-layout.js';

/** Largest partition count: partitions are stored as u32 and `p + 1` must still fit. */
export const MAX_PARTITION_COUNT = 0x8000_0000;

export function checkPartitionCount(partitionCount: number): void {
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > MAX_PARTITION_COUNT) {
    throw new StorageArgumentError('partitionCount', `must be an integer in [1, 2^31], got ${partitionCount}`);
  }
}

export function checkPartition(partition: number, partitionCount: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new StorageArgumentError('partition', `must be an integer in [0, ${partitionCount}), got ${partition}`);
  }
  return partition;
}

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new StorageArgumentError('limit', `must be a positive integer, got ${limit}`);
  }
}

/** When a scan page is full: `limit` items, or `maxBytes` of keys and values (checked, see {@link ScanOptions}). */
export function pageBound(options: ScanOptions): { readonly reached: boolean; add(bytes: number): void } {
  checkLimit(options.limit);
  const maxBytes = options.maxBytes ?? Infinity;
  if (!(maxBytes >= 1)) throw new StorageArgumentError('maxBytes', `must be at least 1, got ${options.maxBytes}`);
  let items = 0;
  let bytes = 0;
  return {
    get reached() {
      return items >= options.limit || bytes >= maxBytes;
    },
    add(n: number) {
      items++;
      bytes += n;
    },
  };
}

/** Validates what an update function returned before anything is written. */
export function checkRecord(record: StoredRecord): void {
  if (!(record.value instanceof Uint8Array)) {
    throw new StorageArgumentError('record.value', 'must be a Uint8Array');
  }
  const expiry = record.expiresAtMs;
  if (expiry !== undefined && (!Number.isSafeInteger(expiry) || expiry < 0)) {
    throw new StorageArgumentError('record.expiresAtMs', `must be a safe integer ≥ 0, got ${expiry}`);
  }
  for (const field of ['dueAtMs', 'listedUntilMs'] as const) {
    const t = record[field];
    if (t !== undefined && (!Number.isSafeInteger(t) || t < 0)) throw new StorageArgumentError(`record.${field}`, `must be a safe integer ≥ 0, got ${t}`);
  }
}

/** How many stored keys a listKeys call may examine: `maxScanned`, checked, or no bound. */
export function scanBudget(options: ListKeysOptions): number {
  if (options.maxScanned === undefined) return Infinity;
  if (!Number.isInteger(options.maxScanned) || options.maxScanned < 1) {
    throw new StorageArgumentError('maxScanned', `must be a positive integer, got ${options.maxScanned}`);
  }
  return options.maxScanned;
}

/**
 * The partitions a listKeys call walks: the one asked for, or from the cursor's to the last.
 * @throws StorageArgumentError for a partition out of range or a cursor of another partition.
 */
export function listedPartitions(options: ListKeysOptions, partitionCount: number): { first: number; last: number } {
  const fromCursor = options.cursor === undefined ? undefined : checkPartition(decodeDataKey(options.cursor)?.partition ?? -1, partitionCount);
  if (options.partition === undefined) return { first: fromCursor ?? 0, last: partitionCount - 1 };
  const only = checkPartition(options.partition, partitionCount);
  if (fromCursor !== undefined && fromCursor !== only) throw new StorageArgumentError('cursor', 'does not belong to this partition');
  return { first: only, last: only };
}

/** Byte-for-byte equality (reap's compare-and-delete). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Argument checks shared by both engines, so they reject the same inputs with the same errors.
 */
import { StorageArgumentError } from './errors.js';
import type { StoredRecord } from './engine.js';

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

/** Validates what an update function returned before anything is written. */
export function checkRecord(record: StoredRecord): void {
  if (!(record.value instanceof Uint8Array)) {
    throw new StorageArgumentError('record.value', 'must be a Uint8Array');
  }
  const expiry = record.expiresAtMs;
  if (expiry !== undefined && (!Number.isSafeInteger(expiry) || expiry < 0)) {
    throw new StorageArgumentError('record.expiresAtMs', `must be a safe integer ≥ 0, got ${expiry}`);
  }
  const due = record.dueAtMs;
  if (due !== undefined && (!Number.isSafeInteger(due) || due < 0)) {
    throw new StorageArgumentError('record.dueAtMs', `must be a safe integer ≥ 0, got ${due}`);
  }
}

/** Byte-for-byte equality (reap's compare-and-delete). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

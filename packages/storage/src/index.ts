/**
 * @quorumkv/storage: the storage engine contract, the LMDB engine (default) and an in-memory engine.
 */
export type {
  Cursor,
  DueItem,
  EngineOptions,
  ExpireHintsOptions,
  Hint,
  HintAdded,
  HintInput,
  HintLimits,
  HintRemoval,
  HintStats,
  HintTargetStats,
  KeyPage,
  ListDueOptions,
  ListKeysOptions,
  MetaEntry,
  Partitioner,
  ScanItem,
  ScanOptions,
  ScanPage,
  StorageEngine,
  StorageStats,
  StoredRecord,
  SweepOptions,
  SweeperOptions,
  SweepResult,
  UpdateEntry,
  UpdateManyOptions,
  UpdateFn,
} from './engine.js';
export {
  CorruptRecordError,
  EngineClosedError,
  StorageArgumentError,
  KeyTooLargeError,
  LayoutMismatchError,
  StorageError,
  StorageFullError,
  STORAGE_FULL_MESSAGE_PREFIX,
} from './errors.js';
export { openLmdbEngine, LmdbEngine, type Durability, type LmdbEngineOptions, type SyncMethod } from './lmdb-engine.js';
export { createMemoryEngine, MemoryEngine, type MemoryEngineOptions } from './memory-engine.js';
export { MAX_BUCKET_BYTES, MAX_DATA_KEY_BYTES, encodeDataKey } from './key-layout.js';
export { crc32c } from './crc32c.js';

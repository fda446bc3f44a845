/**
 * Typed errors of the storage engines. Not-found is a result (`undefined`), never an error.
 */

/** Base class so callers can catch every storage failure with one `instanceof`. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/**
 * A stored record failed its CRC-32C check or could not be decoded. The record is reported, never
 * returned as data: the server treats it as missing locally and repairs it from another replica.
 */
export class CorruptRecordError extends StorageError {
  constructor(
    /** Bucket of the damaged record (empty for hints and metadata). */
    readonly bucket: Uint8Array,
    /** Key of the damaged record (for metadata: the UTF-8 name; for hints: the hint key). */
    readonly key: Uint8Array,
    /** What failed: `checksum`, `format` ... */
    readonly reason: string,
  ) {
    super(`corrupt record (${reason}) for bucket ${hex(bucket)} key ${hex(key)}`);
    this.name = 'CorruptRecordError';
  }
}

/**
 * A write did not fit in the configured map size (or the disk is full). Nothing stored before is
 * affected and reads keep working; raise the limit with `resize` or reopen with a larger
 * `mapSizeBytes` and writes succeed again.
 */
/**
 * How every StorageFullError's message starts. Replicas report a failed item by its message, so the
 * coordinator recognises "no room" in a replica's answer by this prefix.
 */
export const STORAGE_FULL_MESSAGE_PREFIX = 'storage full: ';

export class StorageFullError extends StorageError {
  constructor(
    /** The configured limit in bytes. */
    readonly mapSizeBytes: number,
    /** Bytes in use (LMDB: the pages its trees use) when the write was refused. */
    readonly usedBytes: number,
    options?: { cause?: unknown },
  ) {
    super(`${STORAGE_FULL_MESSAGE_PREFIX}${usedBytes} of ${mapSizeBytes} bytes used`, options);
    this.name = 'StorageFullError';
  }
}

/** A bucket or key exceeds what the on-disk key layout can hold. */
export class KeyTooLargeError extends StorageError {
  constructor(
    /** Which limit: `bucket` (255 bytes) or `key` (the whole stored key). */
    readonly part: 'bucket' | 'key',
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super(`${part} too large: ${sizeBytes} bytes, max ${maxBytes}`);
    this.name = 'KeyTooLargeError';
  }
}

/** An argument is out of range (partition number, limit, TTL ...). */
export class StorageArgumentError extends StorageError {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
    this.name = 'StorageArgumentError';
  }
}

/**
 * The data directory was created with a different layout or partition count; opening it with these
 * options would misplace every key.
 */
export class LayoutMismatchError extends StorageError {
  constructor(
    readonly field: string,
    readonly stored: string,
    readonly requested: string,
  ) {
    super(`data directory has ${field} ${stored}, but ${requested} was requested`);
    this.name = 'LayoutMismatchError';
  }
}

/** The engine was used after `close()`. */
export class EngineClosedError extends StorageError {
  constructor() {
    super('storage engine is closed');
    this.name = 'EngineClosedError';
  }
}

function hex(bytes: Uint8Array): string {
  const shown = bytes.length > 32 ? bytes.subarray(0, 32) : bytes;
  let s = '';
  for (const b of shown) s += b.toString(16).padStart(2, '0');
  return bytes.length > 32 ? `${s}…` : s;
}

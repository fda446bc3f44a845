/**
 * The stored form of a record (and of hints and metadata): a small checksummed frame.
 *
 * ```
 * offset 0  u32 BE  CRC-32C over (stored key ‖ bytes 4..end)
 * offset 4  u8      format version (1)
 * offset 5  u8      flags: bit 0 = has expiry
 * offset 6  u64 BE  expiresAtMs            (only when bit 0 is set)
 * then      value bytes (the rest of the frame)
 * ```
 *
 * The CRC also covers the key the frame is stored under, without storing it twice: a frame that
 * ends up under the wrong key (a misdirected page write) fails the check just like flipped bits.
 */
import { crc32cUpdate } from './crc32c.js';
import { readU64, writeU64 } from './key-layout.js';
import type { StoredRecord } from './engine.js';

export const FORMAT_VERSION = 1;
const FLAG_EXPIRY = 1;
const BASE_HEADER = 6;
const EXPIRY_HEADER = 14;

/** Encodes `record` for storage under `storedKey`. */
export function encodeFrame(storedKey: Uint8Array, record: StoredRecord): Buffer {
  const hasExpiry = record.expiresAtMs !== undefined;
  const header = hasExpiry ? EXPIRY_HEADER : BASE_HEADER;
  const out = Buffer.allocUnsafe(header + record.value.length);
  out[4] = FORMAT_VERSION;
  out[5] = hasExpiry ? FLAG_EXPIRY : 0;
  if (hasExpiry) writeU64(out, BASE_HEADER, record.expiresAtMs!);
  out.set(record.value, header);
  out.writeUInt32BE(crc32cUpdate(crc32cUpdate(0, storedKey), out, 4), 0);
  return out;
}

/**
 * Checks a frame read from disk. Returns undefined when it is sound, otherwise why it is not
 * (`checksum`, `format`); the caller turns that into a {@link CorruptRecordError} with its context.
 */
export function verifyFrame(storedKey: Uint8Array, frame: Uint8Array): string | undefined {
  if (frame.length < BASE_HEADER) return 'format';
  const stored = ((frame[0]! << 24) | (frame[1]! << 16) | (frame[2]! << 8) | frame[3]!) >>> 0;
  if (crc32cUpdate(crc32cUpdate(0, storedKey), frame, 4) !== stored) return 'checksum';
  // Checked after the CRC: a future version would have a valid CRC and still be unreadable here.
  if (frame[4] !== FORMAT_VERSION) return 'format';
  if (frame[5]! & FLAG_EXPIRY && frame.length < EXPIRY_HEADER) return 'format';
  return undefined;
}

/** The expiry time in a frame, without verifying it (for skipping expired records cheaply). */
export function frameExpiry(frame: Uint8Array): number | undefined {
  return frame.length >= EXPIRY_HEADER && frame[5]! & FLAG_EXPIRY ? readU64(frame, BASE_HEADER) : undefined;
}

/** The value bytes of a frame, as a view. */
export function frameValue(frame: Uint8Array): Uint8Array {
  return frame.subarray(frame[5]! & FLAG_EXPIRY ? EXPIRY_HEADER : BASE_HEADER);
}

/**
 * Decodes a verified frame. `copy` must be true when `frame` is a temporary buffer that lmdb-js
 * reuses on the next read (getBinaryFast); scans get their own buffers and can skip the copy.
 */
export function decodeFrame(frame: Uint8Array, copy: boolean): StoredRecord {
  const value = frameValue(frame);
  // Not `value.slice()`: on a Buffer that is a view, not a copy.
  const record: StoredRecord = { value: copy ? copyBytes(value) : value };
  const expiresAtMs = frameExpiry(frame);
  if (expiresAtMs !== undefined) record.expiresAtMs = expiresAtMs;
  return record;
}

function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * The stored form of a record (and of hints and metadata): a small checksummed frame.
 *
 * ```
 * offset 0  u32 BE  CRC-32C over (stored key ‖ bytes 4..end)
 * offset 4  u8      format version (1)
 * offset 5  u8      flags: bit 0 = has expiry, bit 1 = has due time, bit 2 = has listed-until time
 * then      u64 BE  expiresAtMs            (only when bit 0 is set)
 * then      u64 BE  dueAtMs                (only when bit 1 is set)
 * then      u64 BE  listedUntilMs          (only when bit 2 is set)
 * then      value bytes (the rest of the frame)
 * ```
 *
 * Bits 1 and 2 came later within format 1: frames written before them have the bits clear and read
 * the same.
 *
 * The CRC also covers the key the frame is stored under, without storing it twice: a frame that
 * ends up under the wrong key (a misdirected page write) fails the check just like flipped bits.
 */
import { crc32cUpdate } from './crc32c.js';
import { readU64, writeU64 } from './key-layout.js';
import type { StoredRecord } from './engine.js';

export const FORMAT_VERSION = 1;
const FLAG_EXPIRY = 1;
const FLAG_DUE = 2;
const FLAG_LISTED = 4;
const KNOWN_FLAGS = FLAG_EXPIRY | FLAG_DUE | FLAG_LISTED;
const BASE_HEADER = 6;
const TIME_BYTES = 8;

/** Bytes of header before the value: the base plus 8 per time field present. */
function headerSize(flags: number): number {
  return BASE_HEADER + (flags & FLAG_EXPIRY ? TIME_BYTES : 0) + (flags & FLAG_DUE ? TIME_BYTES : 0) + (flags & FLAG_LISTED ? TIME_BYTES : 0);
}

function flagsOf(record: StoredRecord): number {
  return (record.expiresAtMs !== undefined ? FLAG_EXPIRY : 0) | (record.dueAtMs !== undefined ? FLAG_DUE : 0) | (record.listedUntilMs !== undefined ? FLAG_LISTED : 0);
}

/** Bytes {@link encodeFrame} makes of `record`. */
export function frameSize(record: StoredRecord): number {
  return headerSize(flagsOf(record)) + record.value.length;
}

/** Encodes `record` for storage under `storedKey`. */
export function encodeFrame(storedKey: Uint8Array, record: StoredRecord): Buffer {
  const flags = flagsOf(record);
  const header = headerSize(flags);
  const out = Buffer.allocUnsafe(header + record.value.length);
  out[4] = FORMAT_VERSION;
  out[5] = flags;
  let at = BASE_HEADER;
  if (flags & FLAG_EXPIRY) {
    writeU64(out, at, record.expiresAtMs!);
    at += TIME_BYTES;
  }
  if (flags & FLAG_DUE) {
    writeU64(out, at, record.dueAtMs!);
    at += TIME_BYTES;
  }
  if (flags & FLAG_LISTED) writeU64(out, at, record.listedUntilMs!);
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
  if (frame[5]! & ~KNOWN_FLAGS || frame.length < headerSize(frame[5]!)) return 'format';
  return undefined;
}

/** The expiry time in a frame, without verifying it (for skipping expired records cheaply). */
export function frameExpiry(frame: Uint8Array): number | undefined {
  return frame.length >= headerSize(frame[5]!) && frame[5]! & FLAG_EXPIRY ? readU64(frame, BASE_HEADER) : undefined;
}

/** The due time in a frame (see {@link StoredRecord.dueAtMs}), without verifying it. */
export function frameDue(frame: Uint8Array): number | undefined {
  const flags = frame[5]!;
  if (!(flags & FLAG_DUE) || frame.length < headerSize(flags)) return undefined;
  return readU64(frame, flags & FLAG_EXPIRY ? BASE_HEADER + TIME_BYTES : BASE_HEADER);
}

/** The listed-until time in a frame (see {@link StoredRecord.listedUntilMs}), without verifying it. */
export function frameListedUntil(frame: Uint8Array): number | undefined {
  const flags = frame[5]!;
  if (!(flags & FLAG_LISTED) || frame.length < headerSize(flags)) return undefined;
  return readU64(frame, headerSize(flags) - TIME_BYTES);
}

/**
 * When `listKeys` stops listing a record: the earlier of its expiry and its listed-until time, or
 * undefined when it is listed for as long as it exists.
 */
export function listingEnd(record: Pick<StoredRecord, 'expiresAtMs' | 'listedUntilMs'>): number | undefined {
  const { expiresAtMs, listedUntilMs } = record;
  if (expiresAtMs === undefined) return listedUntilMs;
  return listedUntilMs === undefined ? expiresAtMs : Math.min(expiresAtMs, listedUntilMs);
}

/** The value bytes of a frame, as a view. */
export function frameValue(frame: Uint8Array): Uint8Array {
  return frame.subarray(headerSize(frame[5]!));
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
  const dueAtMs = frameDue(frame);
  if (dueAtMs !== undefined) record.dueAtMs = dueAtMs;
  const listedUntilMs = frameListedUntil(frame);
  if (listedUntilMs !== undefined) record.listedUntilMs = listedUntilMs;
  return record;
}

function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

// One sibling as the node stores it inside a DVVSet: a fixed 17-byte header, then the client's
// value bytes untouched. Decoding returns views (subarray), never copies.
//
//   byte 0      flags: bit 0 = tombstone
//   bytes 1-8   coordinator timestamp, ms since the epoch (float64, big-endian)
//   bytes 9-16  absolute expiry, ms since the epoch (float64, big-endian); 0 = none
//   bytes 17-   value
const HEADER = 17;

/** A decoded sibling. `value` is a view into the record bytes. */
export interface SiblingValue {
  tombstone: boolean;
  timestampMs: number;
  expiresAtMs: number;
  value: Uint8Array;
}

/** Encodes a sibling (copies `value` once, into the result). */
export function encodeSiblingValue(s: SiblingValue): Uint8Array {
  const out = new Uint8Array(HEADER + s.value.length);
  const view = new DataView(out.buffer);
  out[0] = s.tombstone ? 1 : 0;
  view.setFloat64(1, s.timestampMs);
  view.setFloat64(9, s.expiresAtMs);
  out.set(s.value, HEADER);
  return out;
}

/** Decodes a sibling encoded by {@link encodeSiblingValue}. */
export function decodeSiblingValue(bytes: Uint8Array): SiblingValue {
  if (bytes.length < HEADER) throw new RangeError(`sibling value too short: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER);
  return {
    tombstone: (bytes[0]! & 1) === 1,
    timestampMs: view.getFloat64(1),
    expiresAtMs: view.getFloat64(9),
    value: bytes.subarray(HEADER),
  };
}

/** True when the encoded sibling is a tombstone or has expired at `nowMs` (cheap: no decode). */
export function isDeadSibling(bytes: Uint8Array, nowMs: number): boolean {
  if ((bytes[0]! & 1) === 1) return true;
  const expiresAtMs = new DataView(bytes.buffer, bytes.byteOffset + 9, 8).getFloat64(0);
  return expiresAtMs !== 0 && expiresAtMs <= nowMs;
}

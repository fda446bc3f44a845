// Conversions between the SDK's friendly inputs (strings, JSON values) and the bytes on the wire.

/** A key, value or prefix: raw bytes, or a string sent as its UTF-8 bytes. */
export type BytesInput = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes of `input` (UTF-8 for strings); byte arrays are passed through without a copy. */
export function toBytes(input: BytesInput): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input;
}

/** Decodes UTF-8, replacing invalid sequences with U+FFFD. */
export function bytesToString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Decodes UTF-8, or returns `undefined` when the bytes are not valid UTF-8. */
export function bytesToStringStrict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** JSON-encodes a value to UTF-8 bytes. */
export function jsonToBytes(value: unknown): Uint8Array {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('value is not representable as JSON');
  return encoder.encode(text);
}

/** Parses UTF-8 JSON bytes. */
export function bytesToJson<T>(bytes: Uint8Array): T {
  return JSON.parse(decoder.decode(bytes)) as T;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding), without relying on Node's Buffer so it also runs in browsers. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >>> 18]! + B64[(n >>> 12) & 63]! + B64[(n >>> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes standard or URL-safe base64 (padding optional).
 * @throws TypeError on characters outside the base64 alphabets
 */
export function fromBase64(text: string): Uint8Array {
  const clean = text.trim().replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const ch of clean) {
    const v = B64.indexOf(ch);
    if (v < 0) throw new TypeError(`invalid base64 character ${JSON.stringify(ch)}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

// Conversions between the SDK's friendly inputs (strings, JSON values) and the bytes on the wire.
import { base64Decode, base64Encode } from '@bufbuild/protobuf/wire';
import { InvalidArgumentError } from './errors.js';

/** A key, value or prefix: raw bytes, or a string sent as its UTF-8 bytes. */
export type BytesInput = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

// A UTF-16 surrogate that is not half of a pair: TextEncoder would write U+FFFD for it, so '\uD800'
// and '\uDC00' would become the same key. The nodes refuse such strings too (@quorumkv/bytes).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The bytes of `input` (UTF-8 for strings); byte arrays are passed through without a copy.
 * @param field - named in the error when `input` is a string with a lone surrogate
 * @throws InvalidArgumentError when `input` is a string that is not well-formed UTF-16
 */
export function toBytes(input: BytesInput, field = 'value'): Uint8Array {
  if (typeof input !== 'string') return input;
  // isWellFormed (Node 20, current browsers) is a native scan; the regex only runs to name the index.
  const wellFormed = (input as { isWellFormed?: () => boolean }).isWellFormed?.() ?? !LONE_SURROGATE.test(input);
  const bad = wellFormed ? null : LONE_SURROGATE.exec(input);
  if (bad) {
    const description = `string has a lone surrogate at index ${bad.index} (not valid UTF-16; pass bytes to use such a value)`;
    throw new InvalidArgumentError(`invalid ${field}: ${description}`, { field, description });
  }
  return encoder.encode(input);
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

/** Standard base64 with padding (protobuf-es's encoder: no Node Buffer, so it runs in browsers too). */
export function toBase64(bytes: Uint8Array): string {
  return base64Encode(bytes, 'std');
}

/**
 * Decodes standard or URL-safe base64, padding optional, white-space ignored (protobuf-es's decoder).
 * @throws TypeError on characters outside the base64 alphabets, or a length no encoding has
 */
export function fromBase64(text: string): Uint8Array {
  try {
    return base64Decode(text);
  } catch (err) {
    throw new TypeError(`invalid base64: ${(err as Error).message}`);
  }
}

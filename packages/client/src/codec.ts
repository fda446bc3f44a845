// Conversions between the SDK's friendly inputs (strings, JSON values) and the bytes on the wire.
import { base64Decode, base64Encode } from '@bufbuild/protobuf/wire';

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

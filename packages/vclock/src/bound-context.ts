// A causal context bound to the key it was read from, as QuorumKV hands it to clients:
//
//   byte 0      binding version (1)
//   bytes 1-8   a 64-bit hash of (bucket, key), big-endian (the caller computes it)
//   bytes 9-    the version vector (encodeContext)
//
// Nodes decode it to refuse a context from another key; the SDK's sessions decode it to compare
// what a read returned with what the session has already seen. One layout, kept here for both.
import { decodeContext, encodeContext } from './codec.js';
import { VClockDecodeError } from './errors.js';
import type { VersionVector } from './version-vector.js';

const BINDING_VERSION = 1;
const HEADER = 9;

/** A bound context taken apart. */
export interface BoundContext {
  /** The hash of the (bucket, key) the context belongs to. */
  readonly keyHash: bigint;
  readonly versionVector: VersionVector;
}

/** The context handed to clients for the key whose 64-bit hash is `keyHash`. */
export function encodeBoundContext(keyHash: bigint, vv: VersionVector): Uint8Array {
  const body = encodeContext(vv);
  const out = new Uint8Array(HEADER + body.length);
  out[0] = BINDING_VERSION;
  new DataView(out.buffer).setBigUint64(1, keyHash);
  out.set(body, HEADER);
  return out;
}

/**
 * Takes apart {@link encodeBoundContext}'s output. Throws {@link VClockDecodeError} for bytes that
 * are not one (code `truncated` or `unsupported-version` for the header, else the vector's).
 */
export function decodeBoundContext(bytes: Uint8Array): BoundContext {
  if (bytes.length < HEADER) throw new VClockDecodeError('truncated', bytes.length, `a bound context has at least ${HEADER} bytes`);
  if (bytes[0] !== BINDING_VERSION) throw new VClockDecodeError('unsupported-version', 0, `unsupported context binding version ${bytes[0]}`);
  const keyHash = new DataView(bytes.buffer, bytes.byteOffset, HEADER).getBigUint64(1);
  return { keyHash, versionVector: decodeContext(bytes.subarray(HEADER)) };
}

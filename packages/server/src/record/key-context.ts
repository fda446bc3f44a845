// The causal context handed to clients, bound to the (bucket, key) it was read from, so a context
// from another key is refused instead of silently superseding values the client never saw:
//
//   byte 0      binding version (1)
//   bytes 1-8   the ring's stable 64-bit hash of (bucket, key), big-endian
//   bytes 9-    the version vector (@quorumkv/vclock's context encoding)
//
// Clients treat the bytes as opaque; only the node that receives them back decodes them.
import { keyHash } from '@quorumkv/ring';
import { decodeContext, encodeContext, type VersionVector } from '@quorumkv/vclock';
import { NodeArgumentError } from '../errors/errors.js';

const VERSION = 1;
const HEADER = 9;
/**
 * Largest counter a context may carry. A new dot's counter is one more than the highest the record
 * and the context know of its actor, and must stay a safe integer: a context claiming nearly 2^53
 * would make the coordinator's next writes of the key fail. No key is written 2^48 times under
 * one actor, so only a forged context comes near.
 */
const MAX_COUNTER = 2 ** 48;

/** The context clients get for `(bucket, key)`. */
export function encodeKeyContext(bucket: Uint8Array, key: Uint8Array, vv: VersionVector): Uint8Array {
  const body = encodeContext(vv);
  const out = new Uint8Array(HEADER + body.length);
  out[0] = VERSION;
  new DataView(out.buffer).setBigUint64(1, keyHash(bucket, key));
  out.set(body, HEADER);
  return out;
}

/**
 * The version vector of a client's context for `(bucket, key)`; undefined for an empty context.
 * @throws NodeArgumentError (field `context`) for bytes QuorumKV did not hand out for this key.
 */
export function decodeKeyContext(bytes: Uint8Array, bucket: Uint8Array, key: Uint8Array): VersionVector | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length < HEADER || bytes[0] !== VERSION) throw new NodeArgumentError('context', 'not a context returned by QuorumKV');
  if (new DataView(bytes.buffer, bytes.byteOffset, HEADER).getBigUint64(1) !== keyHash(bucket, key)) {
    throw new NodeArgumentError('context', 'belongs to another bucket or key: pass the context a get or put of this key returned');
  }
  let vv: VersionVector;
  try {
    vv = decodeContext(bytes.subarray(HEADER));
  } catch (err) {
    throw new NodeArgumentError('context', `not a context returned by QuorumKV: ${(err as Error).message}`);
  }
  for (const counter of vv.values()) {
    if (counter > MAX_COUNTER) throw new NodeArgumentError('context', `not a context returned by QuorumKV: counter ${counter} is above ${MAX_COUNTER}`);
  }
  return vv;
}

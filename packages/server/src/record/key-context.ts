// The causal context handed to clients, bound to the (bucket, key) it was read from, so a context
// from another key is refused instead of silently superseding values the client never saw. The
// layout (binding version, the ring's 64-bit hash of (bucket, key), the version vector) is
// @quorumkv/vclock's bound context; the SDK's sessions read it too.
//
// Clients treat the bytes as opaque; a node decodes them when they come back.
import { keyHash } from '@quorumkv/ring';
import { decodeBoundContext, encodeBoundContext, type VersionVector } from '@quorumkv/vclock';
import { NodeArgumentError } from '../errors/errors.js';

/**
 * Largest counter a context may carry. A new dot's counter is one more than the highest the record
 * and the context know of its actor, and must stay a safe integer: a context claiming nearly 2^53
 * would make the coordinator's next writes of the key fail. No key is written 2^48 times under
 * one actor, so only a forged context comes near.
 */
const MAX_COUNTER = 2 ** 48;

/** The context clients get for `(bucket, key)`. */
export function encodeKeyContext(bucket: Uint8Array, key: Uint8Array, vv: VersionVector): Uint8Array {
  return encodeBoundContext(keyHash(bucket, key), vv);
}

/**
 * The version vector of a client's context for `(bucket, key)`; undefined for an empty context.
 * @throws NodeArgumentError (field `context`) for bytes QuorumKV did not hand out for this key.
 */
export function decodeKeyContext(bytes: Uint8Array, bucket: Uint8Array, key: Uint8Array): VersionVector | undefined {
  if (bytes.length === 0) return undefined;
  let bound;
  try {
    bound = decodeBoundContext(bytes);
  } catch (err) {
    throw new NodeArgumentError('context', `not a context returned by QuorumKV: ${(err as Error).message}`);
  }
  if (bound.keyHash !== keyHash(bucket, key)) {
    throw new NodeArgumentError('context', 'belongs to another bucket or key: pass the context a get or put of this key returned');
  }
  for (const counter of bound.versionVector.values()) {
    if (counter > MAX_COUNTER) throw new NodeArgumentError('context', `not a context returned by QuorumKV: counter ${counter} is above ${MAX_COUNTER}`);
  }
  return bound.versionVector;
}

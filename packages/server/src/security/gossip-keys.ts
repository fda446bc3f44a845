// Gossip authentication with cluster keys, as memberlist does it: every gossip message carries an
// HMAC-SHA256 tag under the sender's primary key; a receiver accepts a tag made with any of its
// keys. Rotation: add the new key as a secondary everywhere, make it primary everywhere, then drop
// the old one; the key file is followed, so no step needs a restart. The key file holds one key per
// line (base64, at least 32 bytes), the primary first; `#` starts a comment.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The keys of a node: `keys[0]` signs, every one verifies. */
export interface GossipKeyring {
  readonly keys: readonly Buffer[];
}

/** What a tag covers: the envelope as sent. */
export interface TaggedEnvelope {
  clusterId: string;
  fromAddress: string;
  message: Uint8Array;
}

const MIN_KEY_BYTES = 32;
const DOMAIN = Buffer.from('quorumkv gossip v1\0');

/** A key file that cannot be used; the message says which line. */
export class GossipKeyFileError extends Error {
  override readonly name = 'GossipKeyFileError';
}

/** Parses a key file. Throws {@link GossipKeyFileError}. */
export function parseGossipKeys(text: string): GossipKeyring {
  const keys: Buffer[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(line)) throw new GossipKeyFileError(`line ${i + 1}: not base64`);
    const key = Buffer.from(line, 'base64');
    if (key.length < MIN_KEY_BYTES) throw new GossipKeyFileError(`line ${i + 1}: a key must be at least ${MIN_KEY_BYTES} bytes (got ${key.length})`);
    keys.push(key);
  }
  if (keys.length === 0) throw new GossipKeyFileError('no key: the first line is the primary key');
  return { keys };
}

function tagWith(key: Buffer, e: TaggedEnvelope): Buffer {
  const h = createHmac('sha256', key).update(DOMAIN);
  // Length-prefixed, so no two envelopes share the bytes a tag covers.
  for (const part of [Buffer.from(e.clusterId, 'utf8'), Buffer.from(e.fromAddress, 'utf8'), e.message]) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    h.update(len).update(part);
  }
  return h.digest();
}

/** The tag of an envelope under the primary key. */
export function signGossip(ring: GossipKeyring, e: TaggedEnvelope): Uint8Array {
  return tagWith(ring.keys[0]!, e);
}

/** Whether `tag` was made with one of the ring's keys. */
export function verifyGossip(ring: GossipKeyring, e: TaggedEnvelope, tag: Uint8Array): boolean {
  if (tag.length !== 32) return false;
  return ring.keys.some((key) => timingSafeEqual(tagWith(key, e), tag));
}

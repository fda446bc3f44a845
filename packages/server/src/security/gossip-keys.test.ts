import { randomBytes } from 'node:crypto';
import { GossipKeyFileError, parseGossipKeys, signGossip, verifyGossip, type TaggedEnvelope } from './gossip-keys.js';

const key = (seed: number): string => Buffer.alloc(32, seed).toString('base64');
const envelope: TaggedEnvelope = { clusterId: 'c0ffee', fromAddress: '127.0.0.1:7070', message: Uint8Array.from([1, 2, 3]) };

describe('gossip keys', () => {
  it('reads one base64 key a line, the primary first, skipping comments and blank lines', () => {
    const ring = parseGossipKeys(`# rotated 2026-11\n${key(1)}\n\n${key(2)}  # old\n`);
    expect(ring.keys.map((k) => k[0])).toEqual([1, 2]);
  });

  it('refuses a file without keys, a short key and a line that is not base64, naming the line', () => {
    expect(() => parseGossipKeys('# nothing\n')).toThrow(new GossipKeyFileError('no key: the first line is the primary key'));
    expect(() => parseGossipKeys(`${key(1)}\n${Buffer.alloc(16).toString('base64')}\n`)).toThrow('line 2: a key must be at least 32 bytes (got 16)');
    expect(() => parseGossipKeys('not a key!\n')).toThrow('line 1: not base64');
  });

  it('signs with the primary and accepts a tag of any key: rotation keeps every step working', () => {
    const old = parseGossipKeys(key(1));
    const both = parseGossipKeys(`${key(1)}\n${key(2)}`);
    const swapped = parseGossipKeys(`${key(2)}\n${key(1)}`);
    const fresh = parseGossipKeys(key(2));
    // Step 1 (new key accepted everywhere) and step 2 (new key primary) talk to each other both ways.
    for (const [from, to] of [[old, both], [both, swapped], [swapped, both], [swapped, fresh], [fresh, swapped]] as const) {
      expect(verifyGossip(to, envelope, signGossip(from, envelope))).toBe(true);
    }
    // Once the old key is dropped, its tags are refused.
    expect(verifyGossip(fresh, envelope, signGossip(old, envelope))).toBe(false);
  });

  it('a tag covers the cluster id, the address and the message: changing any one breaks it', () => {
    const ring = parseGossipKeys(key(7));
    const tag = signGossip(ring, envelope);
    expect(verifyGossip(ring, { ...envelope, clusterId: 'c0ffef' }, tag)).toBe(false);
    expect(verifyGossip(ring, { ...envelope, fromAddress: '127.0.0.1:7071' }, tag)).toBe(false);
    expect(verifyGossip(ring, { ...envelope, message: Uint8Array.from([1, 2, 4]) }, tag)).toBe(false);
    // Moving bytes from one field to the next does not keep the tag (fields are length-prefixed).
    expect(verifyGossip(ring, { clusterId: 'c0ffee1', fromAddress: '27.0.0.1:7070', message: envelope.message }, tag)).toBe(false);
    expect(verifyGossip(ring, envelope, new Uint8Array(0))).toBe(false);
    expect(verifyGossip(ring, envelope, randomBytes(32))).toBe(false);
  });
});

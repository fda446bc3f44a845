import { create, equals, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { ReplicaItemSchema, ReplicateRequestSchema, ReplicateResponseSchema } from '../gen/quorumkv/v1/replica_pb.js';
import { PutRequestSchema, SessionRequestSchema, SessionResponseSchema } from '../gen/quorumkv/v1/kv_pb.js';
import { decodeReplicateRequest, decodeReplicateResponse, encodeReplicateRequest, encodeReplicateResponse } from './replica-codec.js';
import { decodeSessionRequest, encodeSessionRequest } from './session-request-codec.js';
import { decodeSessionResponse, encodeSessionResponse } from './session-response-codec.js';
import { WireFormatError } from './wire-reader.js';

// Strings with multi-byte and astral characters, and bytes/ints at the varint size boundaries.
const str = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', 'node-1', 'ünï', '𝄞x'));
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 127, maxLength: 130 }), fc.constant(new Uint8Array(0)));
const u32 = fc.oneof(fc.constantFrom(0, 1, 127, 128, 16383, 16384, 2 ** 28, 2 ** 32 - 1), fc.nat());
const u64 = fc.oneof(fc.constantFrom(0n, 1n, 127n, 128n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const i64 = fc.oneof(fc.constantFrom(0n, -1n, -(2n ** 63n), 2n ** 63n - 1n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

const header = fc.record({ fromNode: str, ringVersion: u64, clusterId: str, ring: bytes });
const item = fc.record({
  id: u64,
  op: fc.constantFrom(0, 1, 2, 3),
  bucket: str,
  key: bytes,
  partition: u32,
  record: bytes,
  expiresAtMs: u64,
  hintFor: str,
  deadlineMs: u64,
});
const result = fc.record({ id: u64, status: fc.integer({ min: 0, max: 7 }), record: bytes, expiresAtMs: u64, error: str });
const answer = fc.record({ nodeId: str, fallback: fc.boolean(), standingInFor: str, ok: fc.boolean(), error: str, latencyUs: u32 });
const receipt = fc.record({
  required: u32,
  asked: u32,
  answered: u32,
  replicas: fc.array(answer, { maxLength: 4 }),
  siblingCount: u32,
  ringVersion: u64,
  coordinator: str,
  forwarded: fc.boolean(),
  lwwLost: fc.boolean(),
});
const sibling = fc.record({ value: bytes, timestampMs: i64, tombstone: fc.boolean(), expiresAtMs: u64, writtenBy: str });
const get = fc.record({ bucket: str, key: bytes, r: opt(u32), timeoutMs: opt(u32) }, { requiredKeys: ['bucket', 'key'] });
const put = fc.record(
  { bucket: str, key: bytes, value: bytes, context: bytes, w: opt(u32), timeoutMs: opt(u32), ttlMs: u64, returnBody: fc.boolean() },
  { requiredKeys: ['bucket', 'key', 'value', 'context', 'ttlMs', 'returnBody'] },
);
const del = fc.record({ bucket: str, key: bytes, context: bytes, w: opt(u32), timeoutMs: opt(u32) }, { requiredKeys: ['bucket', 'key', 'context'] });
const sessionOp = fc.record({
  id: u64,
  op: fc.oneof(
    fc.record({ case: fc.constant('get' as const), value: get }),
    fc.record({ case: fc.constant('put' as const), value: put }),
    fc.record({ case: fc.constant('delete' as const), value: del }),
    fc.constant({ case: undefined }),
  ),
});
const sessionResult = fc.record({
  id: u64,
  result: fc.oneof(
    fc.record({ case: fc.constant('get' as const), value: fc.record({ found: fc.boolean(), siblings: fc.array(sibling, { maxLength: 3 }), context: bytes, receipt: opt(receipt) }) }),
    fc.record({ case: fc.constant('put' as const), value: fc.record({ context: bytes, siblings: fc.array(sibling, { maxLength: 3 }), receipt: opt(receipt) }) }),
    fc.record({ case: fc.constant('delete' as const), value: fc.record({ receipt: opt(receipt) }) }),
    fc.record({
      case: fc.constant('error' as const),
      value: fc.record({
        code: u32,
        message: str,
        quorum: opt(fc.record({ operation: str, asked: u32, answered: u32, required: u32, replicas: fc.array(answer, { maxLength: 3 }) })),
        // Enums are int32 on the wire: the codec writes the non-negative ones a node sends.
        detail: opt(fc.record({ reason: fc.integer({ min: 0, max: 0x7fffffff }), field: str, description: str })),
      }),
    }),
    fc.constant({ case: undefined }),
  ),
});

/** Both ways against protobuf-es: our bytes equal theirs, and each side decodes the other's. */
function agrees<D extends DescMessage>(
  schema: D,
  arb: fc.Arbitrary<unknown>,
  encode: (m: MessageShape<D>, offset?: number) => Uint8Array,
  decode: (b: Uint8Array) => MessageShape<D>,
): void {
  fc.assert(
    fc.property(arb, (init) => {
      const msg = create(schema, init as never);
      const theirs = toBinary(schema, msg);
      const ours = encode(msg);
      expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      expect(equals(schema, decode(theirs), msg)).toBe(true);
      expect(equals(schema, fromBinary(schema, ours), msg)).toBe(true);
      // With room for an envelope header in front: the same bytes after it.
      expect(Buffer.from(encode(msg, 5).subarray(5)).equals(Buffer.from(theirs))).toBe(true);
    }),
    { numRuns: 300 },
  );
}

describe('hot-path codecs write and read exactly what protobuf-es does', () => {
  it('ReplicateRequest', () => {
    agrees(ReplicateRequestSchema, fc.record({ messageId: u64, header: opt(header), items: fc.array(item, { maxLength: 5 }) }), encodeReplicateRequest, decodeReplicateRequest);
  });

  it('ReplicateResponse', () => {
    agrees(ReplicateResponseSchema, fc.record({ messageId: u64, header: opt(header), results: fc.array(result, { maxLength: 5 }) }), encodeReplicateResponse, decodeReplicateResponse);
  });

  it('SessionRequest', () => {
    agrees(SessionRequestSchema, fc.record({ ops: fc.array(sessionOp, { maxLength: 5 }) }), encodeSessionRequest, decodeSessionRequest);
  });

  it('SessionResponse', () => {
    agrees(SessionResponseSchema, fc.record({ results: fc.array(sessionResult, { maxLength: 4 }) }), encodeSessionResponse, decodeSessionResponse);
  });

  it('skips fields they do not know, as protobuf does', () => {
    const msg = create(ReplicateRequestSchema, { messageId: 7n, items: [{ id: 1n, key: new Uint8Array([1, 2]) }] });
    const known = toBinary(ReplicateRequestSchema, msg);
    // Field 15 as varint, as 64-bit, as bytes and as 32-bit, before and after the known fields.
    const unknown = [0x78, 0x96, 0x01, 0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7a, 2, 9, 9, 0x7d, 1, 2, 3, 4];
    const decoded = decodeReplicateRequest(new Uint8Array([...unknown, ...known, ...unknown]));
    expect(decoded.messageId).toBe(7n);
    expect(decoded.items).toHaveLength(1);
    expect(Array.from(decoded.items[0]!.key)).toEqual([1, 2]);
  });

  it('refuses truncated, overlong and malformed input with WireFormatError', () => {
    const good = encodeReplicateRequest(create(ReplicateRequestSchema, { messageId: 1n, items: [{ id: 2n, record: new Uint8Array(50) }] }));
    for (let cut = 1; cut < good.length; cut++) {
      let threw = false;
      try {
        decodeReplicateRequest(good.subarray(0, cut));
      } catch (err) {
        threw = true;
        expect(err).toBeInstanceOf(WireFormatError);
      }
      // A cut can only be silent where it falls between two complete top-level fields.
      if (!threw) expect([2]).toContain(cut);
    }
    expect(() => decodeSessionRequest(new Uint8Array([0x0a, 0x05, 0x08]))).toThrow(WireFormatError);
    expect(() => decodeSessionRequest(new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow('varint longer than 10 bytes');
    expect(() => decodeSessionRequest(new Uint8Array([0x00]))).toThrow('invalid field number 0');
    expect(() => decodeSessionRequest(new Uint8Array([0x0f]))).toThrow('unsupported wire type 7');
    // A string field that is not UTF-8 (protobuf-es refuses it as well).
    const bad = new Uint8Array([0x1a, 0x03, 0x1a, 0x01, 0xff]);
    expect(() => decodeReplicateRequest(bad)).toThrow('not valid UTF-8');
    expect(() => fromBinary(ReplicateRequestSchema, bad)).toThrow();
  });

  it('refuse strings with a lone surrogate, where protobuf-es would write U+FFFD', () => {
    // One rule for every QuorumKV encoder (@quorumkv/bytes): a name that has no UTF-8 form is an
    // error, never silently another name.
    const item = create(ReplicaItemSchema, { id: 1n, bucket: 'b\ud800' });
    expect(() => encodeReplicateRequest(create(ReplicateRequestSchema, { messageId: 1n, items: [item] }))).toThrow(
      expect.objectContaining({ name: 'BytesError', reason: 'lone-surrogate' }),
    );
    const put = create(PutRequestSchema, { bucket: '\udc00', key: new Uint8Array([1]) });
    expect(() => encodeSessionRequest(create(SessionRequestSchema, { ops: [{ id: 1n, op: { case: 'put', value: put } }] }))).toThrow(
      expect.objectContaining({ reason: 'lone-surrogate' }),
    );
  });
});

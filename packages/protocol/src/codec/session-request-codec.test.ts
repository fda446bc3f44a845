import { MessageLimitError } from '../envelope.js';
import type { SessionOp } from '../gen/quorumkv/v1/kv_pb.js';
import { SESSION_MAX_OPS_PER_MESSAGE } from '../session-limits.js';
import { decodeSessionRequest, encodeSessionRequest, sessionOpBytes, soleSessionOpId } from './session-request-codec.js';
import { encodeSessionResponse, sessionResultBytes } from './session-response-codec.js';

const put = (id: bigint, valueBytes: number): SessionOp => ({
  $typeName: 'quorumkv.v1.SessionOp',
  id,
  op: { case: 'put', value: { $typeName: 'quorumkv.v1.PutRequest', bucket: 'b', key: new Uint8Array([1, 2]), value: new Uint8Array(valueBytes), context: new Uint8Array(0), ttlMs: 0n, returnBody: false } },
});
const empty = (id: bigint): SessionOp => ({ $typeName: 'quorumkv.v1.SessionOp', id, op: { case: undefined } });
const request = (ops: SessionOp[]): Uint8Array => encodeSessionRequest({ $typeName: 'quorumkv.v1.SessionRequest', ops });

describe('SessionRequest limits', () => {
  it('decodes up to the shared operation limit and refuses one more without decoding the rest', () => {
    const full = Array.from({ length: SESSION_MAX_OPS_PER_MESSAGE }, (_, i) => empty(BigInt(i + 1)));
    expect(decodeSessionRequest(request(full)).ops).toHaveLength(SESSION_MAX_OPS_PER_MESSAGE);
    // Twenty thousand empty operations: refused at the 257th.
    const flood = request(Array.from({ length: 20_000 }, () => empty(1n)));
    const err = (() => {
      try {
        decodeSessionRequest(flood);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(MessageLimitError);
    expect(err).toMatchObject({ unit: 'operations', actual: SESSION_MAX_OPS_PER_MESSAGE + 1, limit: SESSION_MAX_OPS_PER_MESSAGE });
  });

  it('sizes each operation as the encoder writes it', () => {
    const ops = [put(1n, 0), put(300n, 1000), put(2n ** 40n, 70_000), empty(5n)];
    expect(ops.reduce((n, op) => n + sessionOpBytes(op), 0)).toBe(request(ops).length);
  });

  it('sizes each result as the encoder writes it', () => {
    const results = [
      { $typeName: 'quorumkv.v1.SessionResult' as const, id: 7n, result: { case: 'get' as const, value: { $typeName: 'quorumkv.v1.GetResponse' as const, found: true, context: new Uint8Array(40), siblings: [{ $typeName: 'quorumkv.v1.Sibling' as const, value: new Uint8Array(3000), tombstone: false, writtenBy: 'n1', timestampMs: 5n, expiresAtMs: 0n }] } } },
      { $typeName: 'quorumkv.v1.SessionResult' as const, id: 8n, result: { case: 'error' as const, value: { $typeName: 'quorumkv.v1.SessionError' as const, code: 8, message: 'busy' } } },
    ];
    expect(results.reduce((n, r) => n + sessionResultBytes(r), 0)).toBe(encodeSessionResponse({ $typeName: 'quorumkv.v1.SessionResponse', results }).length);
  });

  it('names the sole operation of a message from its first bytes', () => {
    const one = request([put(123_456n, 5000)]);
    expect(soleSessionOpId(one.subarray(0, 64), one.length)).toBe(123_456n);
    const two = request([put(1n, 10), put(2n, 10)]);
    expect(soleSessionOpId(two.subarray(0, 64), two.length)).toBeUndefined();
    expect(soleSessionOpId(new Uint8Array([0xff, 0xff]), 2)).toBeUndefined();
  });
});

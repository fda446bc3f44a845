import fc from 'fast-check';
import { SESSION_BATCH_BYTES, SESSION_MAX_OPS_PER_MESSAGE, encodeSessionRequest, sessionOpBytes, type SessionOp } from '@quorumkv/protocol';
import { sessionMessages } from './session-channel.js';

const put = (id: number, valueBytes: number): SessionOp => ({
  $typeName: 'quorumkv.v1.SessionOp',
  id: BigInt(id),
  op: { case: 'put', value: { $typeName: 'quorumkv.v1.PutRequest', bucket: '', key: new Uint8Array(8), value: new Uint8Array(valueBytes), context: new Uint8Array(0), ttlMs: 0n, returnBody: false } },
});
const encodedBytes = (ops: SessionOp[]): number => encodeSessionRequest({ $typeName: 'quorumkv.v1.SessionRequest', ops }).length;

describe('sessionMessages', () => {
  it('sends 64 values of 1 MiB as 64 messages, each one operation', () => {
    const messages = sessionMessages(Array.from({ length: 64 }, (_, i) => put(i, 1024 * 1024)));
    expect(messages.map((m) => m.length)).toEqual(Array(64).fill(1));
  });

  it('keeps every message within the shared limits (a larger operation alone), in order, losing nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 3 * SESSION_BATCH_BYTES })), { maxLength: 700 }), (sizes) => {
        const queue = sizes.map((b, i) => put(i, b));
        const messages = sessionMessages(queue);
        expect(messages.flat()).toEqual(queue);
        for (const m of messages) {
          expect(m.length).toBeGreaterThan(0);
          expect(m.length).toBeLessThanOrEqual(SESSION_MAX_OPS_PER_MESSAGE);
          if (m.length > 1) expect(encodedBytes(m)).toBeLessThanOrEqual(SESSION_BATCH_BYTES);
          else expect(encodedBytes(m)).toBe(sessionOpBytes(m[0]!));
        }
      }),
      { seed: 15, numRuns: 60 },
    );
  });
});

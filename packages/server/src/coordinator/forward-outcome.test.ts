import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason } from '@quorumkv/protocol';
import { silentUntilDeadline, tryNextPrimary } from './forward-outcome.js';

const sys = (code: string, connectCode: Code): ConnectError => new ConnectError(code, connectCode, undefined, undefined, Object.assign(new Error(code), { code }));
const answer = (reason: ErrorReason, code: Code): ConnectError => new ConnectError('node said', code, undefined, [{ desc: ErrorDetailSchema, value: { reason } }]);

describe('forward outcome', () => {
  it('moves a read on to the next primary after any connection failure', () => {
    for (const err of [sys('ECONNREFUSED', Code.Unavailable), new ConnectError('stream reset', Code.Internal), sys('ETIMEDOUT', Code.Unavailable)]) expect(tryNextPrimary(err, 'get')).toBe(true);
  });

  it('moves a write on only when it never reached the target (it may have been applied otherwise)', () => {
    expect(tryNextPrimary(sys('ECONNREFUSED', Code.Unavailable), 'put')).toBe(true);
    expect(tryNextPrimary(new ConnectError('http/2 stream closed with error code REFUSED_STREAM (0x7)', Code.Unavailable), 'delete')).toBe(true);
    // Sent, then the connection failed: the target may have minted the write's dot.
    expect(tryNextPrimary(new ConnectError('http/2 stream closed with error code INTERNAL_ERROR (0x2)', Code.Internal), 'put')).toBe(false);
    expect(tryNextPrimary(sys('ETIMEDOUT', Code.Unavailable), 'put')).toBe(false);
    expect(tryNextPrimary(sys('ECONNRESET', Code.Aborted), 'delete')).toBe(false);
  });

  it('moves on after NOT_READY (no work done) and stops at any other answer of a node', () => {
    expect(tryNextPrimary(answer(ErrorReason.NOT_READY, Code.Unavailable), 'put')).toBe(true);
    expect(tryNextPrimary(answer(ErrorReason.QUORUM_NOT_MET, Code.Unavailable), 'get')).toBe(false);
    expect(tryNextPrimary(answer(ErrorReason.INTERNAL, Code.Internal), 'get')).toBe(false);
  });

  it('tells a target that never answered in time from one that answered DEADLINE_EXCEEDED', () => {
    expect(silentUntilDeadline(new ConnectError('deadline', Code.DeadlineExceeded))).toBe(true);
    expect(silentUntilDeadline(answer(ErrorReason.DEADLINE_EXCEEDED, Code.DeadlineExceeded))).toBe(false);
  });
});

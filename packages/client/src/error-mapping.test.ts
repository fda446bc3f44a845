import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason, QuorumFailureSchema } from '@quorumkv/protocol';
import { wireMillis } from './convert.js';
import { mapFailure } from './error-mapping.js';
import { isRetryable } from './retry.js';
import {
  CancelledError,
  ClusterChangeError,
  ForeignClusterError,
  InsufficientStorageError,
  InvalidArgumentError,
  LimitExceededError,
  OverloadedError,
  PermissionDeniedError,
  QuorumKvError,
  QuorumNotMetError,
  TimeoutError,
  TooManySiblingsError,
  UnauthenticatedError,
  UnavailableError,
} from './errors.js';

/** An error as a node sends it: its code, its reason, and the quorum facts when there are any. */
function nodeError(code: Code, reason: ErrorReason, extra: { field?: string; description?: string; quorum?: Parameters<typeof create<typeof QuorumFailureSchema>>[1] } = {}): ConnectError {
  const err = new ConnectError('from the node', code);
  err.details.push({ desc: ErrorDetailSchema, value: create(ErrorDetailSchema, { reason, field: extra.field, description: extra.description }) });
  if (extra.quorum) err.details.push({ desc: QuorumFailureSchema, value: create(QuorumFailureSchema, extra.quorum) });
  return err;
}

/** What each reason a node gives must become, with the code the node sends it with (server's connect-errors.ts). */
const EXPECTED: Record<ErrorReason, { code: Code; error: abstract new (...args: never[]) => QuorumKvError }> = {
  [ErrorReason.UNSPECIFIED]: { code: Code.FailedPrecondition, error: QuorumKvError },
  [ErrorReason.INVALID_FIELD]: { code: Code.InvalidArgument, error: InvalidArgumentError },
  [ErrorReason.MALFORMED_REQUEST]: { code: Code.InvalidArgument, error: InvalidArgumentError },
  [ErrorReason.QUORUM_NOT_MET]: { code: Code.Unavailable, error: QuorumNotMetError },
  [ErrorReason.DEADLINE_EXCEEDED]: { code: Code.DeadlineExceeded, error: TimeoutError },
  [ErrorReason.OVERLOADED]: { code: Code.ResourceExhausted, error: OverloadedError },
  [ErrorReason.TOO_MANY_SIBLINGS]: { code: Code.FailedPrecondition, error: TooManySiblingsError },
  [ErrorReason.STORAGE_FULL]: { code: Code.ResourceExhausted, error: InsufficientStorageError },
  [ErrorReason.FOREIGN_CLUSTER]: { code: Code.FailedPrecondition, error: ForeignClusterError },
  [ErrorReason.NOT_READY]: { code: Code.Unavailable, error: UnavailableError },
  [ErrorReason.INTERNAL]: { code: Code.Internal, error: QuorumKvError },
  [ErrorReason.LIMIT_EXCEEDED]: { code: Code.ResourceExhausted, error: LimitExceededError },
  [ErrorReason.UNAUTHENTICATED]: { code: Code.Unauthenticated, error: UnauthenticatedError },
  [ErrorReason.PERMISSION_DENIED]: { code: Code.PermissionDenied, error: PermissionDeniedError },
  [ErrorReason.CLUSTER_CHANGE_REFUSED]: { code: Code.FailedPrecondition, error: ClusterChangeError },
};

const everyReason = Object.values(ErrorReason).filter((v): v is ErrorReason => typeof v === 'number');

describe('mapFailure: a node reason decides the error', () => {
  it.each(everyReason.map((r) => [ErrorReason[r], r] as const))('maps reason %s to its typed error, with the reason named on it', (name, reason) => {
    const expected = EXPECTED[reason];
    expect(expected).toBeDefined();
    const f = mapFailure(nodeError(expected.code, reason), 'put', 'h:1', 100);
    expect(f.error.constructor).toBe(expected.error);
    expect(f.error.reason).toBe(name.toLowerCase());
    expect(f.error.node).toBe('h:1');
  });

  it('reads FAILED_PRECONDITION by its reason: a foreign cluster is never taken for too many siblings', () => {
    const foreign = mapFailure(nodeError(Code.FailedPrecondition, ErrorReason.FOREIGN_CLUSTER), 'put', 'h:1', 100);
    expect(foreign.error).toBeInstanceOf(ForeignClusterError);
    expect(foreign.error).not.toBeInstanceOf(TooManySiblingsError);
    // Without a reason (a proxy, an older node) the code alone gives only the generic error.
    const bare = mapFailure(new ConnectError('x', Code.FailedPrecondition), 'put', 'h:1', 100).error;
    expect(bare.constructor).toBe(QuorumKvError);
    expect([bare.code, bare.reason]).toEqual(['failed_precondition', 'unspecified']);
  });

  it('maps QUORUM_NOT_MET to QuorumNotMetError with the quorum facts (the node is fine)', () => {
    const err = nodeError(Code.Unavailable, ErrorReason.QUORUM_NOT_MET, {
      quorum: { operation: 'put', asked: 3, answered: 1, required: 2, replicas: [{ nodeId: 'n2', ok: false, error: 'timeout' }] },
    });
    const f = mapFailure(err, 'put', 'h:1', 100);
    const q = f.error as QuorumNotMetError;
    expect(q).toBeInstanceOf(QuorumNotMetError);
    expect([q.asked, q.answered, q.required, q.operation]).toEqual([3, 1, 2, 'put']);
    expect(q.replicas[0]).toMatchObject({ nodeId: 'n2', ok: false, error: 'timeout' });
    expect(q.message).toContain('1 of 3');
    expect(f.nodeFailed).toBe(false);
  });

  it('maps DEADLINE_EXCEEDED to TimeoutError keeping the quorum facts: a write is never sent again, a read may try another replica', () => {
    const err = nodeError(Code.DeadlineExceeded, ErrorReason.DEADLINE_EXCEEDED, { quorum: { operation: 'put', asked: 3, answered: 1, required: 2 } });
    const f = mapFailure(err, 'put', 'h:1', 250);
    const t = f.error as TimeoutError;
    expect(t).toBeInstanceOf(TimeoutError);
    expect(t.timeoutMs).toBe(250);
    expect(t.quorum).toMatchObject({ asked: 3, answered: 1, required: 2 });
    // The node answered: the timeout is not held against it.
    expect(f.timedOut).toBe(false);
    expect(isRetryable(f, false)).toBe(false);
    expect(isRetryable(f, true)).toBe(true);
  });

  it('marks an attempt that got no answer at all in time as timed out (counted against the node)', () => {
    const f = mapFailure(new ConnectError('deadline of 100 ms exceeded', Code.DeadlineExceeded), 'get', 'h:1', 100);
    expect(f.error).toBeInstanceOf(TimeoutError);
    expect(f).toMatchObject({ timedOut: true, nodeFailed: false, notSent: false });
    expect(isRetryable(f, true)).toBe(true);
    expect(isRetryable(f, false)).toBe(false);
  });

  it('maps INVALID_FIELD to InvalidArgumentError naming the field, MALFORMED_REQUEST to one naming none', () => {
    const e = mapFailure(nodeError(Code.InvalidArgument, ErrorReason.INVALID_FIELD, { field: 'key', description: 'must be at most 1024 bytes' }), 'put', 'h:1', 100).error as InvalidArgumentError;
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.field).toBe('key');
    expect(e.message).toBe('invalid key: must be at most 1024 bytes');
    const m = mapFailure(nodeError(Code.InvalidArgument, ErrorReason.MALFORMED_REQUEST), 'put', 'h:1', 100).error as InvalidArgumentError;
    expect([m.field, m.reason]).toEqual(['', 'malformed_request']);
  });

  it('maps LIMIT_EXCEEDED to LimitExceededError naming the limit, never retried', () => {
    const f = mapFailure(nodeError(Code.ResourceExhausted, ErrorReason.LIMIT_EXCEEDED, { field: 'maxMessageBytes', description: 'message of 9 bytes exceeds the limit of 8' }), 'put', 'h:1', 100);
    const e = f.error as LimitExceededError;
    expect(e).toBeInstanceOf(LimitExceededError);
    expect([e.limit, e.description, e.code]).toEqual(['maxMessageBytes', 'message of 9 bytes exceeds the limit of 8', 'resource_exhausted']);
    expect(e.message).toBe('put on h:1: limit exceeded: maxMessageBytes: message of 9 bytes exceeds the limit of 8');
    expect(f.rejected).toBe(false);
  });

  it('retries NOT_READY elsewhere (the node did no work) but not STORAGE_FULL or a foreign cluster', () => {
    const notReady = mapFailure(nodeError(Code.Unavailable, ErrorReason.NOT_READY), 'put', 'h:1', 100);
    expect(notReady).toMatchObject({ nodeFailed: true, rejected: true });
    expect(isRetryable(notReady, false)).toBe(true);
    for (const reason of [ErrorReason.STORAGE_FULL, ErrorReason.FOREIGN_CLUSTER, ErrorReason.TOO_MANY_SIBLINGS, ErrorReason.INTERNAL, ErrorReason.LIMIT_EXCEEDED]) {
      expect(isRetryable(mapFailure(nodeError(EXPECTED[reason].code, reason), 'put', 'h:1', 100), true)).toBe(false);
    }
  });

  it('reads a reason this SDK does not know by its code', () => {
    const f = mapFailure(nodeError(Code.ResourceExhausted, 999 as ErrorReason), 'put', 'h:1', 100);
    expect(f.error).toBeInstanceOf(OverloadedError);
    expect(f.error.reason).toBe('unspecified');
  });
});

describe('mapFailure: without a node reason, by code', () => {
  it('treats a refused connection as a node failure that was never sent', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = new ConnectError('connect ECONNREFUSED', Code.Unavailable, undefined, undefined, cause);
    const f = mapFailure(err, 'get', '127.0.0.1:1', 100);
    expect(f.error).toBeInstanceOf(UnavailableError);
    expect(f).toMatchObject({ nodeFailed: true, notSent: true });
    expect(f.error.message).toContain('127.0.0.1:1');
  });

  it('treats a stream the node refused (REFUSED_STREAM: nothing processed) as never sent, so a write may go elsewhere', () => {
    // connect-node's unary calls, and the Session stream's own HTTP/2 error.
    const unary = new ConnectError('http/2 stream closed with error code REFUSED_STREAM (0x7)', Code.Unavailable);
    const cause = Object.assign(new Error('Stream closed with error code NGHTTP2_REFUSED_STREAM'), { code: 'ERR_HTTP2_STREAM_ERROR' });
    const session = new ConnectError(cause.message, Code.Unavailable, undefined, undefined, cause);
    for (const err of [unary, session]) {
      const f = mapFailure(err, 'put', 'h:1', 100);
      expect(f).toMatchObject({ nodeFailed: true, notSent: true });
      expect(isRetryable(f, false)).toBe(true);
    }
  });

  it('never sends again a write whose stream the node cut (ENHANCE_YOUR_CALM): it may have been applied', () => {
    const f = mapFailure(new ConnectError('http/2 stream closed with error code ENHANCE_YOUR_CALM (0xb)', Code.ResourceExhausted), 'put', 'h:1', 100);
    expect(f.error).toBeInstanceOf(OverloadedError);
    expect(f.rejected).toBe(false);
    expect(isRetryable(f, false)).toBe(false);
    // A RESOURCE_EXHAUSTED the node answered before any work (e.g. a body over readMaxBytes) still may.
    expect(isRetryable(mapFailure(new ConnectError('message size 70000000 is larger than configured readMaxBytes 67108864', Code.ResourceExhausted), 'put', 'h:1', 100), false)).toBe(true);
  });

  it('treats a reset connection as a node failure that may have been sent', () => {
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const f = mapFailure(new ConnectError('reset', Code.Aborted, undefined, undefined, cause), 'put', 'h:1', 100);
    expect(f.error).toBeInstanceOf(UnavailableError);
    expect(f).toMatchObject({ nodeFailed: true, notSent: false });
  });

  it.each([
    [Code.InvalidArgument, InvalidArgumentError],
    [Code.ResourceExhausted, OverloadedError],
    [Code.DeadlineExceeded, TimeoutError],
    [Code.Unavailable, UnavailableError],
  ])('maps code %s to its generic class', (code, cls) => {
    const f = mapFailure(new ConnectError('x', code), 'put', 'h:1', 250);
    expect(f.error).toBeInstanceOf(cls);
    expect(f.error.reason).toBe('unspecified');
  });

  it('maps CANCELED to CancelledError only when the caller aborted; otherwise the stream died', () => {
    const err = new ConnectError('http/2 stream closed with error code CANCEL (0x8)', Code.Canceled);
    expect(mapFailure(err, 'get', 'h:1', 100, true).error).toBeInstanceOf(CancelledError);
    const dead = mapFailure(err, 'get', 'h:1', 100, false);
    expect(dead.error).toBeInstanceOf(UnavailableError);
    expect(dead).toMatchObject({ nodeFailed: true, notSent: false });
  });

  it('keeps other codes as QuorumKvError with the code name', () => {
    const e = mapFailure(new ConnectError('boom', Code.Internal), 'status', 'h:1', 100).error;
    expect(e.constructor).toBe(QuorumKvError);
    expect(e.code).toBe('internal');
  });

  it('marks only load shedding as rejected-before-work: final answers are never retried on another node', () => {
    expect(mapFailure(new ConnectError('busy', Code.ResourceExhausted), 'put', 'h:1', 1).rejected).toBe(true);
    for (const [code, op] of [[Code.InvalidArgument, 'put'], [Code.FailedPrecondition, 'put'], [Code.FailedPrecondition, 'commit']] as const) {
      const info = mapFailure(new ConnectError('no', code), op, 'h:1', 1);
      expect(info.rejected).toBe(false);
      expect(isRetryable(info, true)).toBe(false);
    }
  });
});

describe('wireMillis', () => {
  it('converts a duration and refuses what is not one, naming the field', () => {
    expect(wireMillis('ttlMs', undefined)).toBe(0n);
    expect(wireMillis('ttlMs', 1500.7)).toBe(1500n);
    for (const bad of [NaN, -1, Infinity]) expect(() => wireMillis('ttlMs', bad)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError', field: 'ttlMs' }));
  });
});

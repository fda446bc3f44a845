import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { FieldViolationSchema, QuorumFailureSchema } from '@quorumkv/protocol';
import { wireMillis } from './convert.js';
import { mapFailure } from './error-mapping.js';
import { isRetryable } from './retry.js';
import {
  CancelledError,
  InvalidArgumentError,
  OverloadedError,
  QuorumKvError,
  QuorumNotMetError,
  TimeoutError,
  TooManySiblingsError,
  UnavailableError,
} from './errors.js';

describe('mapFailure', () => {
  it('maps UNAVAILABLE with a QuorumFailure detail to QuorumNotMetError (node is fine)', () => {
    const detail = create(QuorumFailureSchema, {
      operation: 'put',
      asked: 3,
      answered: 1,
      required: 2,
      replicas: [{ nodeId: 'n2', ok: false, error: 'timeout' }],
    });
    const err = new ConnectError('quorum', Code.Unavailable, undefined, [{ desc: QuorumFailureSchema, value: detail }]);
    const f = mapFailure(err, 'put', 'h:1', 100);
    expect(f.error).toBeInstanceOf(QuorumNotMetError);
    const q = f.error as QuorumNotMetError;
    expect([q.asked, q.answered, q.required, q.operation]).toEqual([3, 1, 2, 'put']);
    expect(q.replicas[0]).toMatchObject({ nodeId: 'n2', ok: false, error: 'timeout' });
    expect(q.message).toContain('1 of 3');
    expect(f.nodeFailed).toBe(false);
  });

  it('maps INVALID_ARGUMENT with a FieldViolation to InvalidArgumentError naming the field', () => {
    const detail = create(FieldViolationSchema, { field: 'key', description: 'must be at most 1024 bytes' });
    const err = new ConnectError('bad', Code.InvalidArgument, undefined, [{ desc: FieldViolationSchema, value: detail }]);
    const e = mapFailure(err, 'put', 'h:1', 100).error as InvalidArgumentError;
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.field).toBe('key');
    expect(e.message).toBe('invalid key: must be at most 1024 bytes');
  });

  it('treats a refused connection as a node failure that was never sent', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = new ConnectError('connect ECONNREFUSED', Code.Unavailable, undefined, undefined, cause);
    const f = mapFailure(err, 'get', '127.0.0.1:1', 100);
    expect(f.error).toBeInstanceOf(UnavailableError);
    expect(f).toMatchObject({ nodeFailed: true, notSent: true });
    expect(f.error.message).toContain('127.0.0.1:1');
  });

  it('treats a reset connection as a node failure that may have been sent', () => {
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const f = mapFailure(new ConnectError('reset', Code.Aborted, undefined, undefined, cause), 'put', 'h:1', 100);
    expect(f.error).toBeInstanceOf(UnavailableError);
    expect(f).toMatchObject({ nodeFailed: true, notSent: false });
  });

  it.each([
    [Code.ResourceExhausted, OverloadedError],
    [Code.DeadlineExceeded, TimeoutError],
    [Code.FailedPrecondition, TooManySiblingsError],
  ])('maps code %s to its class', (code, cls) => {
    const f = mapFailure(new ConnectError('x', code), 'put', 'h:1', 250);
    expect(f.error).toBeInstanceOf(cls);
    expect(f.error).toBeInstanceOf(QuorumKvError);
    expect(f.nodeFailed).toBe(false);
  });

  it('maps CANCELED to CancelledError only when the caller aborted; otherwise the stream died', () => {
    const err = new ConnectError('http/2 stream closed with error code CANCEL (0x8)', Code.Canceled);
    expect(mapFailure(err, 'get', 'h:1', 100, true).error).toBeInstanceOf(CancelledError);
    const dead = mapFailure(err, 'get', 'h:1', 100, false);
    expect(dead.error).toBeInstanceOf(UnavailableError);
    expect(dead).toMatchObject({ nodeFailed: true, notSent: false });
  });

  it('keeps other errors as QuorumKvError with the code name', () => {
    const e = mapFailure(new ConnectError('boom', Code.Internal), 'status', 'h:1', 100).error;
    expect(e.constructor).toBe(QuorumKvError);
    expect(e.code).toBe('internal');
    expect((mapFailure(new ConnectError('x', Code.FailedPrecondition), 'commit', 'h:1', 1).error).code).toBe('failed_precondition');
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

import fc from 'fast-check';
import type { FailureInfo } from './error-mapping.js';
import { CancelledError, InvalidArgumentError, OverloadedError, QuorumKvError, QuorumNotMetError, TimeoutError, UnavailableError } from './errors.js';
import { backoffDelayMs, isRetryable, retryPolicy } from './retry.js';

const info = (error: QuorumKvError, extra: Partial<FailureInfo> = {}): FailureInfo => ({
  error,
  nodeFailed: false,
  notSent: false,
  rejected: false,
  ...extra,
});

describe('backoffDelayMs', () => {
  it('stays within the exponential ceiling (full jitter)', () => {
    const policy = retryPolicy({ baseDelayMs: 10, maxDelayMs: 300 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (retry, r) => {
        const d = backoffDelayMs(retry, policy, () => r);
        const ceiling = Math.min(300, 10 * 2 ** (retry - 1));
        return d >= 0 && d <= ceiling && Number.isInteger(d);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('doubles the ceiling per retry', () => {
    const policy = retryPolicy({ baseDelayMs: 10, maxDelayMs: 1000 });
    const top = (): number => 0.99999;
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, top))).toEqual([9, 19, 39, 79]);
  });
});

describe('isRetryable', () => {
  const down = new UnavailableError('down');
  it('retries reads after a node failure but not blind writes that may have been sent', () => {
    expect(isRetryable(info(down, { nodeFailed: true }), true)).toBe(true);
    expect(isRetryable(info(down, { nodeFailed: true }), false)).toBe(false);
  });
  it('retries anything that never left the client or that the node shed unprocessed', () => {
    expect(isRetryable(info(down, { nodeFailed: true, notSent: true }), false)).toBe(true);
    expect(isRetryable(info(new OverloadedError('busy'), { rejected: true }), false)).toBe(true);
  });
  it('never retries cancellation, deadlines and bad input', () => {
    expect(isRetryable(info(new CancelledError('c'), { notSent: true }), true)).toBe(false);
    expect(isRetryable(info(new TimeoutError('t', { timeoutMs: 10 })), true)).toBe(false);
    expect(isRetryable(info(new InvalidArgumentError('bad key', { field: 'key', description: 'too long' }), { rejected: true }), true)).toBe(false);
  });
  it('retries a failed quorum only for idempotent calls', () => {
    const q = new QuorumNotMetError('q', { operation: 'put', asked: 3, answered: 1, required: 2, replicas: [] });
    expect(isRetryable(info(q), true)).toBe(true);
    expect(isRetryable(info(q), false)).toBe(false);
  });
});

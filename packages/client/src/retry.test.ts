import fc from 'fast-check';
import type { FailureInfo } from './error-mapping.js';
import { CancelledError, InvalidArgumentError, OverloadedError, QuorumKvError, QuorumNotMetError, TimeoutError, UnavailableError } from './errors.js';
import { attemptTimeoutMs, backoffDelayMs, isRetryable, RetryBudget, retryPolicy, serverTimeoutMs } from './retry.js';

const info = (error: QuorumKvError, extra: Partial<FailureInfo> = {}): FailureInfo => ({
  error,
  nodeFailed: false,
  notSent: false,
  rejected: false,
  timedOut: false,
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
  it('retries reads after a node failure but no write that may have been sent', () => {
    expect(isRetryable(info(down, { nodeFailed: true }), true)).toBe(true);
    expect(isRetryable(info(down, { nodeFailed: true }), false)).toBe(false);
  });
  it('retries anything that never left the client or that the node shed unprocessed', () => {
    expect(isRetryable(info(down, { nodeFailed: true, notSent: true }), false)).toBe(true);
    expect(isRetryable(info(new OverloadedError('busy'), { rejected: true }), false)).toBe(true);
  });
  it('never retries cancellation and bad input, nor a write that timed out', () => {
    expect(isRetryable(info(new CancelledError('c'), { notSent: true }), true)).toBe(false);
    expect(isRetryable(info(new TimeoutError('t', { timeoutMs: 10 }), { timedOut: true }), false)).toBe(false);
    expect(isRetryable(info(new TimeoutError('t', { timeoutMs: 10 })), false)).toBe(false);
    expect(isRetryable(info(new InvalidArgumentError('bad key', { field: 'key', description: 'too long' }), { rejected: true }), true)).toBe(false);
  });
  it('retries a read whose attempt timed out, on another replica', () => {
    expect(isRetryable(info(new TimeoutError('t', { timeoutMs: 10 }), { timedOut: true }), true)).toBe(true);
  });
  it('retries a failed quorum only for reads', () => {
    const q = new QuorumNotMetError('q', { operation: 'put', asked: 3, answered: 1, required: 2, replicas: [] });
    expect(isRetryable(info(q), true)).toBe(true);
    expect(isRetryable(info(q), false)).toBe(false);
  });
});

describe('attempt deadlines', () => {
  const policy = retryPolicy({ attemptShare: 0.5 });
  it('gives a read that can fail over a share of the remaining time, and the last attempt or a write all of it', () => {
    expect(attemptTimeoutMs(5000, policy, true, 4)).toBe(2500);
    expect(attemptTimeoutMs(5000, policy, true, 1)).toBe(5000);
    expect(attemptTimeoutMs(5000, policy, false, 4)).toBe(5000);
    // Never so short that a healthy node cannot answer, nor longer than what is left.
    expect(attemptTimeoutMs(60, policy, true, 3)).toBe(50);
    expect(attemptTimeoutMs(20, policy, true, 3)).toBe(20);
  });
  it('asks the node for a little less, so a live node answers before the client gives up on it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600_000 }), (ms) => {
        const s = serverTimeoutMs(ms);
        return s >= 1 && s <= ms && (ms < 2 || s < ms) && ms - s <= 100;
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('RetryBudget', () => {
  it('allows retries up to its ratio of the calls plus a steady allowance, then refuses', () => {
    let t = 0;
    const budget = new RetryBudget({ budgetRatio: 0.2, budgetPerSecond: 2 }, () => t);
    // It starts with one second of allowance.
    expect([budget.withdraw(), budget.withdraw(), budget.withdraw()]).toEqual([true, true, false]);
    for (let i = 0; i < 10; i++) budget.deposit();
    expect([budget.withdraw(), budget.withdraw(), budget.withdraw()]).toEqual([true, true, false]);
    t += 500;
    expect([budget.withdraw(), budget.withdraw()]).toEqual([true, false]);
  });
  it('never lets more retries through than its ratio of the calls plus the allowance, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 400 }), (ops) => {
        const budget = new RetryBudget({ budgetRatio: 0.2, budgetPerSecond: 1 }, () => 0);
        let calls = 0;
        let retries = 0;
        for (const isCall of ops) {
          if (isCall) {
            calls++;
            budget.deposit();
          } else if (budget.withdraw()) retries++;
        }
        return retries <= 1 + 0.2 * calls + 1e-9;
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

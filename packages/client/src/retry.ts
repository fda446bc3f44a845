// When a failed attempt may be tried again, and how long to wait first.
import type { FailureInfo } from './error-mapping.js';
import { CancelledError, InvalidArgumentError, LimitExceededError, QuorumNotMetError, TimeoutError, TooManySiblingsError } from './errors.js';

/** Retry tuning; every field has a default. */
export interface RetryOptions {
  /** Attempts per call, the first included. Default 4; 1 disables retries. */
  readonly maxAttempts?: number;
  /** Backoff ceiling of the first retry; it doubles with each further retry. Default 20. */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling. Default 1000. */
  readonly maxDelayMs?: number;
}

/** {@link RetryOptions} with the defaults filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** Fills in the defaults of {@link RetryOptions}. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 4)),
    baseDelayMs: Math.max(0, options.baseDelayMs ?? 20),
    maxDelayMs: Math.max(0, options.maxDelayMs ?? 1000),
  };
}

/**
 * Backoff before retry number `retry` (1 for the first retry), with "full jitter": a uniform draw
 * between 0 and the exponential ceiling, so clients that failed together do not retry together.
 * @param random - uniform in [0, 1) (injected for deterministic tests)
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * Math.pow(2, Math.max(0, retry - 1)));
  return Math.floor(random() * ceiling);
}

/**
 * Whether a failed attempt may be retried.
 *
 * `idempotent` is true for reads, deletes and writes that carry a causal context (a repeat
 * supersedes the same history). A blind write (no context) is retried only when it cannot have
 * reached a node: the connection was never made, or the node shed it before doing any work.
 */
export function isRetryable(failure: FailureInfo, idempotent: boolean): boolean {
  const e = failure.error;
  if (e instanceof CancelledError || e instanceof TimeoutError) return false;
  if (e instanceof InvalidArgumentError || e instanceof TooManySiblingsError || e instanceof LimitExceededError) return false;
  if (failure.notSent || failure.rejected) return true;
  if (e instanceof QuorumNotMetError) return idempotent;
  if (failure.nodeFailed) return idempotent;
  return false;
}

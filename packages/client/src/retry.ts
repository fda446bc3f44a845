// When a failed attempt may be tried again (on another node), how long each attempt may take, how
// long to wait before the next, and how many retries and hedges the client may send at all.
import type { FailureInfo } from './error-mapping.js';
import { CancelledError, InvalidArgumentError, LimitExceededError, QuorumNotMetError, TimeoutError, TooManySiblingsError } from './errors.js';

/** Retry tuning; every field has a default. */
export interface RetryOptions {
  /** Attempts per call, the first and any hedge included. Default 4; 1 disables retries and hedges. */
  readonly maxAttempts?: number;
  /** Backoff ceiling of the first retry; it doubles with each further retry. Default 20. */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling. Default 1000. */
  readonly maxDelayMs?: number;
  /**
   * Share of the remaining deadline one attempt of a read may take before it is given up and the
   * read fails over to another replica (the last attempt, and every write, gets all of it: a write
   * that timed out may have been applied, so it is never sent again). Default 0.5.
   */
  readonly attemptShare?: number;
  /**
   * Retries and hedges allowed per call made, over time (Finagle's retry budget): with 0.2, retries
   * add at most a fifth to the load a failing cluster sees, however many calls fail. Default 0.2.
   */
  readonly budgetRatio?: number;
  /** Retries and hedges allowed per second whatever the call rate, so a quiet client still retries. Default 10. */
  readonly budgetPerSecond?: number;
}

/** {@link RetryOptions} with the defaults filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** Fills in the defaults of {@link RetryOptions}. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 4)),
    baseDelayMs: Math.max(0, options.baseDelayMs ?? 20),
    maxDelayMs: Math.max(0, options.maxDelayMs ?? 1000),
    attemptShare: Math.min(1, Math.max(0.05, options.attemptShare ?? 0.5)),
    budgetRatio: Math.max(0, options.budgetRatio ?? 0.2),
    budgetPerSecond: Math.max(0, options.budgetPerSecond ?? 10),
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
 * How long the next attempt may take, in ms: a share of what is left of the call's deadline when
 * another attempt could follow it, else all of it.
 * @param canFailOver - the call is a read routed by the client (not a write, not pinned to one node)
 * @param attemptsLeft - attempts the call may still make, this one included
 */
export function attemptTimeoutMs(remainingMs: number, policy: RetryPolicy, canFailOver: boolean, attemptsLeft: number): number {
  if (!canFailOver || attemptsLeft <= 1) return remainingMs;
  return Math.max(Math.min(remainingMs, 50), Math.floor(remainingMs * policy.attemptShare));
}

/**
 * The deadline to put in a request: a little less than the attempt's own, so a live node answers
 * DEADLINE_EXCEEDED (with what its quorum got) before the client's timer fires. Only an attempt that
 * got no answer at all then counts as a timeout against the node.
 */
export function serverTimeoutMs(attemptMs: number): number {
  return Math.max(1, attemptMs - Math.max(1, Math.min(100, Math.floor(attemptMs / 10))));
}

/**
 * Whether a failed attempt may be tried again.
 *
 * `read` is true for calls that change nothing (get, listKeys, admin reads): they are retried after
 * any failure that may be transient, on another node when there is one, including an attempt that
 * got no answer in time. A write (put, delete, with or without a context) is sent again only when it
 * provably did no work: it never left the client, or the node refused it before doing anything
 * (`OVERLOADED`, `NOT_READY`). Any other failed write may have been applied; repeating it would
 * apply it twice (a second dot: a duplicate sibling, or a tombstone over a newer value).
 */
export function isRetryable(failure: FailureInfo, read: boolean): boolean {
  const e = failure.error;
  if (e instanceof CancelledError) return false;
  if (e instanceof InvalidArgumentError || e instanceof TooManySiblingsError || e instanceof LimitExceededError) return false;
  if (failure.notSent || failure.rejected) return true;
  if (!read) return false;
  // A read's timeout (the node's DEADLINE_EXCEEDED, or no answer before the attempt's own deadline)
  // is worth another replica: the attempt had only a share of the call's time.
  return failure.nodeFailed || failure.timedOut || e instanceof QuorumNotMetError || e instanceof TimeoutError;
}

/**
 * Caps retries and hedges to a share of the calls made (plus a small steady allowance), so a
 * failing or paused node cannot turn the client's own retries into a storm. Pure: time comes from `now`.
 */
export class RetryBudget {
  private tokens: number;
  private refilledAt: number;
  private readonly capacity: number;

  constructor(
    private readonly policy: Pick<RetryPolicy, 'budgetRatio' | 'budgetPerSecond'>,
    private readonly now: () => number,
  ) {
    this.capacity = Math.max(1, policy.budgetPerSecond * 10);
    this.tokens = Math.max(1, policy.budgetPerSecond);
    this.refilledAt = now();
  }

  /** A call started: it earns `budgetRatio` of a retry. */
  deposit(): void {
    this.refill();
    this.tokens = Math.min(this.capacity, this.tokens + this.policy.budgetRatio);
  }

  /** Takes one retry or hedge from the budget; false when it is spent. */
  withdraw(): boolean {
    this.refill();
    // Tokens accrue in fractions (0.2 per call): allow for rounding, or five calls might not earn one retry.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens--;
    return true;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (Math.max(0, t - this.refilledAt) / 1000) * this.policy.budgetPerSecond);
    this.refilledAt = t;
  }
}

// The attempt loop shared by every call: choose a node, give the attempt a share of what is left of
// the deadline, send a slow read to a second replica (a hedge), learn from every outcome (latency,
// node health, ring version), and retry what is safe on another node.
import { mapFailure, type FailureInfo } from './error-mapping.js';
import { CancelledError, QuorumKvError, TimeoutError } from './errors.js';
import type { NodeClients, NodePool } from './node-pool.js';
import type { EwmaSelector } from './node-selector/ewma.js';
import type { NodeHealth } from './node-selector/health.js';
import type { LatencyWindows } from './node-selector/latency-window.js';
import type { HedgeOptions } from './options.js';
import { attemptTimeoutMs, backoffDelayMs, isRetryable, RetryBudget, serverTimeoutMs, type RetryPolicy } from './retry.js';
import type { RouteKey, Router } from './routing.js';
import type { CallOptions } from './types.js';

/** What one attempt gets to work with. */
export interface Attempt {
  /** host:port the attempt goes to. */
  readonly node: string;
  readonly clients: NodeClients;
  /** Pass to the Connect call: fires when the caller's signal does. */
  readonly signal: AbortSignal;
  /** Pass to the Connect call: the attempt's own deadline (a share of the call's, see `RetryOptions.attemptShare`). */
  readonly timeoutMs: number;
  /** Put in the request's `timeout_ms`: slightly less than {@link timeoutMs}, so a live node answers first. */
  readonly serverTimeoutMs: number;
}

/** Describes a call to {@link Executor.run}. */
export interface CallSpec {
  /** Name for messages: "get", "put", "status"... */
  readonly operation: string;
  /** The key, for routing to its replicas. */
  readonly target?: RouteKey;
  /**
   * Whether repeating the call after it may have reached a node is harmless: true for reads (get,
   * listKeys, admin reads), false for writes (see `isRetryable`).
   */
  readonly idempotent: boolean;
  /** Send a second attempt to another replica when the first is slow (reads of a key only). */
  readonly hedge?: boolean;
  readonly options?: CallOptions;
  /** Send to this node only (host:port); no failover. */
  readonly node?: string;
}

/** When a read is hedged: after the chosen node's latency percentile, never sooner than a floor. */
export interface HedgePolicy {
  /** Latency quantile (0 to 1) of the node the read went to. */
  readonly percentile: number;
  /** Floor of the hedge delay, ms (also the delay while the node has too few samples). */
  readonly minDelayMs: number;
  /** Caps hedges to a share of the reads made. */
  readonly budget: RetryBudget;
}

/** The hedging of {@link ExecutorDeps.hedge} from the client's options (`false`: none). */
export function hedgePolicy(options: HedgeOptions | false | undefined, now: () => number): HedgePolicy | undefined {
  if (options === false) return undefined;
  return {
    percentile: options?.percentile ?? 0.95,
    minDelayMs: options?.minDelayMs ?? 100,
    budget: new RetryBudget({ budgetRatio: options?.budgetRatio ?? 0.05, budgetPerSecond: 1 }, now),
  };
}

/** Dependencies of {@link Executor}. */
export interface ExecutorDeps {
  readonly pool: NodePool;
  readonly router: Router;
  readonly health: NodeHealth;
  readonly ewma: EwmaSelector;
  readonly latency: LatencyWindows;
  readonly retry: RetryPolicy;
  /** Caps retries to a share of the calls made. */
  readonly budget: RetryBudget;
  /** Undefined: reads are never hedged. */
  readonly hedge: HedgePolicy | undefined;
  readonly defaultTimeoutMs: number;
  readonly now: () => number;
  readonly random: () => number;
}

/** Runs calls with routing, deadlines, hedges, retries and failure bookkeeping. */
export class Executor {
  constructor(private readonly d: ExecutorDeps) {}

  /** Runs `fn` until an attempt succeeds, the call fails for good, the deadline passes or the signal fires. */
  async run<T>(spec: CallSpec, fn: (attempt: Attempt) => Promise<T>): Promise<T> {
    const signal = spec.options?.signal;
    if (signal?.aborted) throw new CancelledError(`${spec.operation}: cancelled`, { cause: signal.reason });
    const timeoutMs = spec.options?.timeoutMs ?? this.d.defaultTimeoutMs;
    const deadline = this.d.now() + timeoutMs;
    if (!spec.node && spec.target) await this.d.router.ensureRing();
    this.d.budget.deposit();
    if (spec.hedge) this.d.hedge?.budget.deposit();
    return new CallRun(this.d, spec, fn, deadline, timeoutMs).result;
  }
}

/** A read whose node answered nothing for this many hedge delays (and that got no hedge) fails over. */
const STALL_FACTOR = 4;

/** One attempt in flight. */
interface Live {
  readonly node: string;
  readonly controller: AbortController;
  /** EWMA start stamp. */
  readonly startedAt: number;
  /** Aborted by the call itself (caller's signal): its outcome teaches nothing about the node. */
  cancelled: boolean;
}

/** The state of one call: its attempts in flight, the nodes that failed it, its timers. */
class CallRun<T> {
  readonly result: Promise<T>;
  private resolve!: (value: T) => void;
  private reject!: (err: unknown) => void;
  private settled = false;
  private launched = 0;
  private readonly live = new Set<Live>();
  private readonly failed = new Set<string>();
  private last: QuorumKvError | undefined;
  private hedgeTimer: ReturnType<typeof setTimeout> | undefined;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.cancel();

  constructor(
    private readonly d: ExecutorDeps,
    private readonly spec: CallSpec,
    private readonly fn: (attempt: Attempt) => Promise<T>,
    private readonly deadline: number,
    private readonly timeoutMs: number,
  ) {
    this.result = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.signal = spec.options?.signal;
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.launch('first');
  }

  private launch(kind: 'first' | 'retry' | 'hedge'): void {
    if (this.settled) return;
    const now = this.d.now();
    const remaining = Math.floor(this.deadline - now);
    if (remaining <= 0) {
      if (kind !== 'hedge') this.fail(this.last ?? new TimeoutError(`${this.spec.operation}: timed out after ${this.timeoutMs} ms`, { timeoutMs: this.timeoutMs }));
      return;
    }
    const node = this.choose(kind);
    if (node === undefined) return;
    let clients: NodeClients;
    try {
      clients = this.d.pool.get(node);
    } catch (err) {
      return this.fail(err);
    }
    this.launched++;
    const { retry } = this.d;
    // Only reads of a key get a share: a listKeys page or an admin call may legitimately take long,
    // and timing one out early would count a busy node as down.
    const canFailOver = this.spec.idempotent && this.spec.target !== undefined && this.spec.node === undefined;
    const attemptMs = attemptTimeoutMs(remaining, retry, canFailOver, retry.maxAttempts - this.launched + 1);
    const live: Live = { node, controller: new AbortController(), startedAt: this.d.ewma.start(node), cancelled: false };
    this.live.add(live);
    const attempt: Attempt = { node, clients, signal: live.controller.signal, timeoutMs: attemptMs, serverTimeoutMs: serverTimeoutMs(attemptMs) };
    let pending: Promise<T>;
    try {
      pending = this.fn(attempt);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => this.succeeded(live, value),
      (err: unknown) => this.attemptFailed(live, err),
    );
    this.armHedge(node, attemptMs);
  }

  /** The node of the next attempt; undefined for a hedge with no other live replica to go to. */
  private choose(kind: 'first' | 'retry' | 'hedge'): string | undefined {
    if (this.spec.node !== undefined) return this.spec.node;
    const avoid = new Set(this.failed);
    for (const l of this.live) avoid.add(l.node);
    if (kind === 'hedge') return this.spec.target ? this.d.router.pickReplica(this.spec.target, avoid) : undefined;
    return this.d.router.pick(this.spec.target, avoid);
  }

  /**
   * A read that is the only one in flight gets a second replica once it is slower than its node
   * usually is. With no hedge left in the budget it waits longer, and fails over (marking the node
   * down) only if the node has stalled: it answered nothing at all since this attempt left.
   */
  private armHedge(node: string, attemptMs: number): void {
    const policy = this.d.hedge;
    if (!policy || !this.spec.hedge || !this.spec.target || this.spec.node !== undefined) return;
    if (this.live.size !== 1 || this.launched >= this.d.retry.maxAttempts) return;
    const delay = Math.max(policy.minDelayMs, this.d.latency.percentile(node, policy.percentile) ?? 0);
    // An attempt that times out first fails over anyway.
    if (delay >= attemptMs) return;
    clearTimeout(this.hedgeTimer);
    this.hedgeTimer = setTimeout(() => {
      this.hedgeTimer = undefined;
      if (this.settled || this.live.size !== 1) return;
      if (policy.budget.withdraw()) return this.launch('hedge');
      const stallAfter = STALL_FACTOR * delay;
      if (stallAfter < attemptMs) this.stallTimer = setTimeout(() => this.failOverIfStalled(), stallAfter - delay);
    }, delay);
  }

  private failOverIfStalled(): void {
    this.stallTimer = undefined;
    if (this.settled || this.live.size !== 1) return;
    const [l] = [...this.live] as [Live];
    // Answering others: just slow for this request; its own deadline decides.
    if (this.d.latency.lastAnswerAt(l.node) >= l.startedAt) return;
    this.d.health.markDown(l.node);
    this.d.router.refreshAfterFailure();
    this.failed.add(l.node);
    if (this.launched < this.d.retry.maxAttempts && this.d.budget.withdraw()) this.launch('retry');
  }

  private succeeded(live: Live, value: T): void {
    this.live.delete(live);
    const { node, startedAt } = live;
    const now = this.d.now();
    this.d.latency.record(node, now - startedAt);
    this.d.latency.answered(node, now);
    this.d.ewma.finish(node, startedAt);
    this.d.health.markUp(node);
    if (this.settled) return; // a hedge's loser: it only taught us the node's latency
    this.settle();
    this.resolve(value);
  }

  private attemptFailed(live: Live, err: unknown): void {
    this.live.delete(live);
    const callerAborted = this.signal?.aborted ?? false;
    if (live.cancelled || callerAborted) {
      this.d.ewma.abandon(live.node, live.startedAt);
      return;
    }
    const info = mapFailure(err, this.spec.operation, live.node, this.timeoutMs, false);
    this.learn(live, info);
    if (this.settled) return;
    this.failed.add(live.node);
    this.last = info.error;
    if (!isRetryable(info, this.spec.idempotent)) return this.fail(info.error);
    // Another attempt (a hedge) is still in flight: it carries the call on.
    if (this.live.size > 0) return;
    if (this.launched >= this.d.retry.maxAttempts) return this.fail(info.error);
    // A request that never left costs the cluster nothing; every other retry is budgeted.
    if (!info.notSent && !this.d.budget.withdraw()) return this.fail(info.error);
    const delay = Math.min(backoffDelayMs(this.launched, this.d.retry, this.d.random), Math.max(0, this.deadline - this.d.now()));
    if (delay <= 0) return this.launch('retry');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.launch('retry');
    }, delay);
  }

  /** What a failed attempt says about its node: one that failed or stayed silent is down until a probe answers. */
  private learn(live: Live, info: FailureInfo): void {
    const { node, startedAt } = live;
    if (info.nodeFailed || info.timedOut) {
      // A failed node looks slow for a while even after it answers a probe, so it is re-tried gently.
      this.d.ewma.finish(node, startedAt, info.nodeFailed ? 1000 : 0);
      this.d.health.markDown(node);
      this.d.router.refreshAfterFailure();
    } else {
      // The node's own answer (an error it reported): it is alive.
      this.d.latency.answered(node, this.d.now());
      this.d.ewma.finish(node, startedAt);
    }
  }

  private cancel(): void {
    if (this.settled) return;
    for (const l of this.live) {
      l.cancelled = true;
      l.controller.abort();
    }
    const at = this.live.size === 1 ? ` on ${[...this.live][0]!.node}` : '';
    this.fail(new CancelledError(`${this.spec.operation}${at}: cancelled`, { cause: this.signal?.reason }));
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settle();
    this.reject(err instanceof QuorumKvError ? err : mapFailure(err, this.spec.operation, '', this.timeoutMs, false).error);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.hedgeTimer);
    clearTimeout(this.stallTimer);
    clearTimeout(this.retryTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

// The attempt loop shared by every call: choose a node, run the RPC with what is left of the
// deadline, learn from the outcome (latency, node health, ring version), and retry what is safe.
import { mapFailure } from './error-mapping.js';
import { CancelledError, TimeoutError, type QuorumKvError } from './errors.js';
import type { NodeClients, NodePool } from './node-pool.js';
import type { EwmaSelector } from './node-selector/ewma.js';
import type { NodeHealth } from './node-selector/health.js';
import { backoffDelayMs, isRetryable, type RetryPolicy } from './retry.js';
import type { RouteKey, Router } from './routing.js';
import type { CallOptions } from './types.js';

/** What one attempt gets to work with. */
export interface Attempt {
  /** host:port the attempt goes to. */
  readonly node: string;
  readonly clients: NodeClients;
  /** Pass to the Connect call: the caller's signal. */
  readonly signal: AbortSignal | undefined;
  /** Pass to the Connect call and the request: what is left of the call's deadline. */
  readonly timeoutMs: number;
}

/** Describes a call to {@link Executor.run}. */
export interface CallSpec {
  /** Name for messages: "get", "put", "status"... */
  readonly operation: string;
  /** The key, for routing to its replicas. */
  readonly target?: RouteKey;
  /** Whether repeating the call after it may have reached a node is harmless. */
  readonly idempotent: boolean;
  readonly options?: CallOptions;
  /** Send to this node only (host:port); no failover. */
  readonly node?: string;
}

/** Dependencies of {@link Executor}. */
export interface ExecutorDeps {
  readonly pool: NodePool;
  readonly router: Router;
  readonly health: NodeHealth;
  readonly ewma: EwmaSelector;
  readonly retry: RetryPolicy;
  readonly defaultTimeoutMs: number;
  readonly now: () => number;
  readonly random: () => number;
}

/** Runs calls with routing, deadlines, retries and failure bookkeeping. */
export class Executor {
  constructor(private readonly d: ExecutorDeps) {}

  /** Runs `fn` until it succeeds, fails for good, the deadline passes or the signal fires. */
  async run<T>(spec: CallSpec, fn: (attempt: Attempt) => Promise<T>): Promise<T> {
    const signal = spec.options?.signal;
    const timeoutMs = spec.options?.timeoutMs ?? this.d.defaultTimeoutMs;
    const deadline = this.d.now() + timeoutMs;
    const avoid = new Set<string>();
    if (!spec.node && spec.target) await this.d.router.ensureRing();
    let last: QuorumKvError | undefined;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new CancelledError(`${spec.operation}: cancelled`, { cause: signal.reason });
      const remaining = Math.floor(deadline - this.d.now());
      if (remaining <= 0) throw last ?? new TimeoutError(`${spec.operation}: timed out after ${timeoutMs} ms`, { timeoutMs });
      const node = spec.node ?? this.d.router.pick(spec.target, avoid);
      const startedAt = this.d.ewma.start(node);
      try {
        const result = await fn({ node, clients: this.d.pool.get(node), signal, timeoutMs: remaining });
        this.d.ewma.finish(node, startedAt);
        this.d.health.markUp(node);
        return result;
      } catch (err) {
        const info = mapFailure(err, spec.operation, node, timeoutMs, signal?.aborted ?? false);
        // A failed node looks slow for a while even after its backoff, so it is re-tried gently.
        this.d.ewma.finish(node, startedAt, info.nodeFailed ? 1000 : 0);
        if (info.nodeFailed) {
          this.d.health.markDown(node);
          void this.d.router.refresh();
        }
        if (signal?.aborted) throw new CancelledError(`${spec.operation} on ${node}: cancelled`, { node, cause: err });
        last = info.error;
        if (!isRetryable(info, spec.idempotent) || attempt >= this.d.retry.maxAttempts) throw info.error;
        if (info.nodeFailed || info.rejected) avoid.add(node);
        const delay = Math.min(backoffDelayMs(attempt, this.d.retry, this.d.random), Math.max(0, deadline - this.d.now()));
        if (delay > 0) await sleep(delay, signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

// The client's configuration: one typed object, every field but `nodes` optional with a default.
import type { EwmaOptions } from './node-selector/ewma.js';
import type { NodeHealthOptions } from './node-selector/health.js';
import type { RetryOptions } from './retry.js';
import type { SessionOptions } from './session/session-floors.js';
import type { SiblingResolver } from './types.js';

/** Options shared by every entry point (`@quorumkv/client/node`, `/web`, or the core with a transport). */
export interface ClientOptions {
  /** Nodes to bootstrap from, as `host:port` or URLs. At least one. */
  readonly nodes: readonly string[];
  /**
   * Bearer token sent with every request (`authorization: Bearer …`), for clusters that require
   * one (the node's token file). Its scopes decide what the client may do: `read`, `write`, `admin`.
   */
  readonly token?: string;
  /** Deadline of each call, retries included, in ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Retry tuning (attempts, backoff). */
  readonly retry?: RetryOptions;
  /**
   * Send each request straight to a replica of its key using the cached ring. Default true; off,
   * requests go to the given nodes and the cluster forwards them.
   */
  readonly routing?: boolean;
  /** Re-fetch the ring this often, in ms (it is also re-fetched when a response shows a newer one). Default 30000. */
  readonly ringRefreshIntervalMs?: number;
  /** How long one node may take to answer a ring fetch before the next node is asked, in ms. Default 500. */
  readonly ringFetchTimeoutMs?: number;
  /**
   * Hedged reads: a get still unanswered after the chosen replica's usual latency is also sent to
   * another replica, and the first answer wins (Cassandra's speculative retry, in the client).
   * `false` turns it off.
   */
  readonly hedge?: HedgeOptions | false;
  /** Translates the address a node advertises into one this client can reach (e.g. behind NAT or Docker). */
  readonly mapAddress?: (advertised: string) => string;
  /** Default sibling resolver for `get` (see `GetOptions.resolve`). */
  readonly resolve?: SiblingResolver;
  /** How down nodes are probed before they get requests again. */
  readonly nodeHealth?: NodeHealthOptions & {
    /** Deadline of one background probe, ms. Default 1000. */
    readonly probeTimeoutMs?: number;
  };
  /** Latency averaging. */
  readonly ewma?: EwmaOptions;
  /**
   * Session guarantees for this client's gets: read-your-writes and monotonic reads per key. The
   * client remembers, per key, the version of the newest state it read or wrote, and a get never
   * returns an older or incomparable one: it reads again at other coordinators (the first time at
   * R = N) and else fails with `StaleReadError`. `true` for the defaults. Default off.
   * See the README's "Sessions" for what is and is not guaranteed.
   */
  readonly session?: boolean | SessionOptions;
  /** Clock in ms (tests). Default `performance.now`-based. */
  readonly now?: () => number;
  /** Uniform random in [0, 1) for backoff jitter (tests). Default `Math.random`. */
  readonly random?: () => number;
}

/** Tuning of hedged reads. */
export interface HedgeOptions {
  /** Latency quantile (0 to 1) of the replica a get went to after which another is asked. Default 0.95. */
  readonly percentile?: number;
  /** Never hedge sooner than this, ms (also the delay until a replica has enough samples). Default 100. */
  readonly minDelayMs?: number;
  /**
   * Hedges allowed per read made, over time (plus one per second): a burst that makes every read
   * slow (the client's own load) cannot double the load by hedging. Default 0.05.
   */
  readonly budgetRatio?: number;
}

/** Default deadline of a call. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Default ring refresh period. */
export const DEFAULT_RING_REFRESH_INTERVAL_MS = 30_000;

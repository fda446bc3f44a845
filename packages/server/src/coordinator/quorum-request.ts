// Fans one operation out to a key's replicas and waits for R or W of them. A replica that fails or
// does not answer within the replica timeout is replaced by the next fallback (sloppy quorum) when
// the operation allows it; a primary no one could stand in for is reported through `onUnreached`
// (the coordinator keeps a hint for it). One timer per operation, not per replica.
import type { ReplicaItemResult } from '@quorumkv/protocol';
import type { CancelTimer, Timers } from '../clock/timers.js';
import type { ReplicaOutcome } from '../errors/errors.js';

export interface QuorumRequestOptions {
  /** Successful answers needed. */
  required: number;
  /** Outcome of this node's own replica (when it is one): done already, or still in progress. */
  local?: LocalOutcome | Promise<LocalOutcome>;
  /** This node's id (for the local outcome). */
  selfId: string;
  /** Other primaries, in preference order. */
  primaries: readonly string[];
  /**
   * Other primaries not asked at first (a read that needs fewer than all of them): the first
   * available one is asked, as itself, when an asked replica fails. Tried before any fallback.
   */
  spares?: readonly string[];
  /** With spares: ask the remaining ones too when the quorum is still short after this long, ms. */
  speculateAfterMs?: number;
  /** Nodes that may stand in for failed primaries, in order (empty: no substitution). */
  fallbacks: readonly string[];
  /** Sends the operation to `nodeId`; `hintFor` is set when it stands in for that primary. */
  send: (nodeId: string, hintFor: string) => Promise<ReplicaItemResult>;
  /** Whether a node can be tried now (gossip says alive, channel not backing off). */
  isAvailable: (nodeId: string) => boolean;
  /** Whether a result counts towards the quorum. */
  accept: (result: ReplicaItemResult) => boolean;
  /** A primary that neither answered nor had a stand-in that answered (also when the deadline cut the wait short). */
  onUnreached?: (primary: string) => void;
  /**
   * With onUnreached: how long, from the start, replicas still silent at the deadline get before
   * they count as unreached (ms). The caller is answered at its deadline all the same. A client's
   * deadline says how long it waits, not how long a replica may take (Cassandra's write timeout is
   * the server's): with a few milliseconds, every replica would be "silent" and get a hint, and a
   * flood of such writes evicted, at the hint store's cap, hints that were some acknowledged
   * write's only way to a node that was down.
   */
  unreachedAfterMs?: number;
  /** Per replica answer timeout, ms. */
  replicaTimeoutMs: number;
  /** Time left for the whole operation, ms. */
  timeoutMs: number;
  /** The node's timers and monotonic clock (virtual in the simulation). */
  timers: Timers;
}

/** How this node's own replica fared. */
export interface LocalOutcome {
  ok: boolean;
  error: string;
  result?: ReplicaItemResult;
  latencyUs: number;
}

/** Where the operation stands: per replica outcomes and accepted results. */
export interface QuorumOutcome {
  asked: number;
  answered: number;
  required: number;
  replicas: ReplicaOutcome[];
  /** Accepted results by node id (the local one under the node's own id). */
  results: Map<string, ReplicaItemResult>;
  /** The operation's deadline ended the wait (rather than the replicas' answers or failures). */
  expired: boolean;
}

interface Attempt {
  outcome: ReplicaOutcome;
  standingInFor: string;
  started: number;
  done: boolean;
}

/**
 * Starts the operation. `quorum` resolves as soon as `required` replicas answered (or rejects
 * with the outcome when that became impossible or time ran out); `all` resolves when every replica
 * asked has answered or failed, for read repair and tombstone reaping.
 */
export function quorumRequest(o: QuorumRequestOptions): { quorum: Promise<QuorumOutcome>; all: Promise<QuorumOutcome> } {
  const state: QuorumOutcome = { asked: 0, answered: 0, required: o.required, replicas: [], results: new Map(), expired: false };
  const attempts: Attempt[] = [];
  let pending = 0;
  let nextFallback = 0;
  let nextSpare = 0;
  const spares = o.spares ?? [];
  let quorumSettled = false;
  let resolveQuorum!: (s: QuorumOutcome) => void;
  let rejectQuorum!: (s: QuorumOutcome) => void;
  let resolveAll!: (s: QuorumOutcome) => void;
  const quorum = new Promise<QuorumOutcome>((res, rej) => ((resolveQuorum = res), (rejectQuorum = rej)));
  const all = new Promise<QuorumOutcome>((res) => (resolveAll = res));
  let cancelReplicaTimer: CancelTimer | undefined;
  let cancelSpeculateTimer: CancelTimer | undefined;
  let cancelDeadlineTimer: CancelTimer | undefined;
  let cancelUnreachedTimer: CancelTimer | undefined;

  const check = (): void => {
    if (!quorumSettled && state.answered >= o.required) {
      quorumSettled = true;
      resolveQuorum(state);
    }
    if (pending === 0) {
      if (!quorumSettled) {
        quorumSettled = true;
        rejectQuorum(state);
      }
      cancelReplicaTimer?.();
      cancelDeadlineTimer?.();
      cancelSpeculateTimer?.();
      cancelUnreachedTimer?.();
      resolveAll(state);
    }
  };

  const failover = (primary: string): void => {
    while (nextSpare < spares.length) {
      const s = spares[nextSpare++]!;
      if (o.isAvailable(s)) {
        attempt(s, '');
        return;
      }
    }
    while (nextFallback < o.fallbacks.length) {
      const f = o.fallbacks[nextFallback++]!;
      if (o.isAvailable(f)) {
        attempt(f, primary);
        return;
      }
    }
    o.onUnreached?.(primary);
  };

  const finish = (a: Attempt, ok: boolean, error: string, result?: ReplicaItemResult): void => {
    if (a.done) return;
    a.done = true;
    pending--;
    a.outcome.ok = ok;
    a.outcome.error = error;
    if (ok) {
      a.outcome.latencyUs = Math.round((o.timers.monotonicMs() - a.started) * 1000);
      state.answered++;
      if (result) state.results.set(a.outcome.nodeId, result);
    } else if (!state.expired) {
      failover(a.standingInFor || a.outcome.nodeId);
    } else {
      // No time is left for a stand-in, but the write may be on other replicas (the coordinator's
      // own copy at least) whether or not it met its quorum: the primary gets a hint.
      o.onUnreached?.(a.standingInFor || a.outcome.nodeId);
    }
  };

  const attempt = (nodeId: string, standingInFor: string): void => {
    const a: Attempt = {
      outcome: { nodeId, fallback: standingInFor !== '', standingInFor, ok: false, error: '', latencyUs: 0 },
      standingInFor,
      started: o.timers.monotonicMs(),
      done: false,
    };
    attempts.push(a);
    state.replicas.push(a.outcome);
    state.asked++;
    pending++;
    o.send(nodeId, standingInFor).then(
      (r) => {
        if (o.accept(r)) finish(a, true, '', r);
        else finish(a, false, r.error || `status ${r.status}`);
        check();
      },
      (err: unknown) => {
        finish(a, false, err instanceof Error ? err.message : String(err));
        check();
      },
    );
  };

  if (o.local) {
    state.asked++;
    const outcome: ReplicaOutcome = { nodeId: o.selfId, fallback: false, standingInFor: '', ok: false, error: '', latencyUs: 0 };
    state.replicas.push(outcome);
    const settleLocal = (l: LocalOutcome): void => {
      outcome.ok = l.ok;
      outcome.error = l.error;
      outcome.latencyUs = l.latencyUs;
      if (l.ok) {
        state.answered++;
        if (l.result) state.results.set(o.selfId, l.result);
      }
    };
    if (o.local instanceof Promise) {
      pending++;
      o.local.then((l) => {
        if (state.expired) return;
        pending--;
        settleLocal(l);
        check();
      });
    } else {
      settleLocal(o.local);
    }
  }
  for (const p of o.primaries) {
    if (o.isAvailable(p)) attempt(p, '');
    else {
      state.replicas.push({ nodeId: p, fallback: false, standingInFor: '', ok: false, error: 'down', latencyUs: 0 });
      state.asked++;
      failover(p);
    }
  }
  if (pending > 0) {
    // A replica timeout no shorter than the deadline is the deadline: stand-ins would get no time.
    if (o.replicaTimeoutMs < o.timeoutMs) {
      cancelReplicaTimer = o.timers.after(o.replicaTimeoutMs, () => {
        // Replicas still silent count as failed: their stand-ins get the rest of the deadline.
        for (const a of attempts.slice()) if (!a.done) finish(a, false, `no answer within ${o.replicaTimeoutMs} ms`);
        check();
      });
    }
    if (spares.length > 0 && o.speculateAfterMs !== undefined && o.speculateAfterMs < o.replicaTimeoutMs) {
      cancelSpeculateTimer = o.timers.after(o.speculateAfterMs, () => {
        if (quorumSettled || state.expired) return;
        while (nextSpare < spares.length) {
          const s = spares[nextSpare++]!;
          if (o.isAvailable(s)) attempt(s, '');
        }
      });
    }
    const giveUp = (why: string): void => {
      for (const a of attempts) if (!a.done) finish(a, false, why);
      pending = 0;
      check();
    };
    cancelDeadlineTimer = o.timers.after(o.timeoutMs, () => {
      state.expired = true;
      const why = `deadline of ${o.timeoutMs} ms passed`;
      const graceMs = o.onUnreached !== undefined && o.unreachedAfterMs !== undefined ? o.unreachedAfterMs - o.timeoutMs : 0;
      if (graceMs <= 0) return giveUp(why);
      // The caller has its answer now; a replica that answers within the grace needs no hint.
      for (const a of attempts) if (!a.done) a.outcome.error = why;
      if (!quorumSettled) {
        quorumSettled = true;
        rejectQuorum(state);
      }
      cancelUnreachedTimer = o.timers.after(graceMs, () => giveUp(`${why}, and no answer within ${o.unreachedAfterMs} ms`));
    });
  }
  check();
  return { quorum, all };
}

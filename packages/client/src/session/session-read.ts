// A get inside a session: a read whose answer does not include what the session already saw of
// the key (its context does not descend the key's floor) is never returned. It is read again at
// other coordinators, the first time at R = N, and if none has caught up the get fails with
// StaleReadError: an error rather than going back in time.
import type { VersionVector } from '@quorumkv/vclock';
import { QuorumKvError, StaleReadError } from '../errors.js';
import type { GetResult } from '../types.js';

/** Where and how to read again: a coordinator to pin, the R to ask for, and the share of the deadline. */
export interface SessionAttempt {
  /** host:port to send the read to (no failover), or undefined for the normal routed read. */
  readonly node?: string;
  /** Read quorum; undefined for the request's own. */
  readonly r?: number;
  /** Deadline of this read, ms. */
  readonly timeoutMs: number;
}

/** What {@link readInSession} works with. */
export interface SessionReadOptions {
  /** For messages: `bucket/key`. */
  readonly name: string;
  /** Reads once as told. */
  readonly read: (attempt: SessionAttempt) => Promise<GetResult>;
  /** The version a result's context carries (throws for a context no node handed out). */
  readonly versionOf: (result: GetResult) => VersionVector;
  /** Whether the session has seen nothing the version lacks. */
  readonly covers: (version: VersionVector) => boolean;
  /** Nodes that could coordinate the key instead, best first, without those in `tried`. */
  readonly alternatives: (tried: ReadonlySet<string>) => readonly string[];
  /** Replicas of the key (its N) when known: the first reread asks all of them. */
  readonly n: number | undefined;
  /** The R the caller asked for, if any. */
  readonly r: number | undefined;
  /** Rereads allowed after a stale answer. */
  readonly retries: number;
  /** The whole get's deadline, ms. */
  readonly timeoutMs: number;
  /** Clock in ms. */
  readonly now: () => number;
}

/** The read's result, once it includes everything the session saw of the key; else StaleReadError. */
export async function readInSession(o: SessionReadOptions): Promise<{ result: GetResult; version: VersionVector }> {
  const deadline = o.now() + o.timeoutMs;
  const first = await o.read({ timeoutMs: o.timeoutMs });
  const judged = judge(o, first);
  if (judged.ok) return { result: first, version: judged.version };
  const tried = new Set([first.receipt.node]);
  const stale = [first.receipt.node];
  let lastError: QuorumKvError | undefined;
  for (let i = 0; i < o.retries; i++) {
    const node = o.alternatives(tried)[0];
    const left = deadline - o.now();
    if (node === undefined || left <= 0) break;
    tried.add(node);
    // All N replicas answering is the surest way to include a write a quorum acknowledged.
    const r = i === 0 && o.n !== undefined && o.n > (o.r ?? 0) ? o.n : o.r;
    try {
      const again = await o.read({ node, ...(r !== undefined ? { r } : {}), timeoutMs: i + 1 < o.retries ? Math.max(1, left / 2) : left });
      const j = judge(o, again);
      if (j.ok) return { result: again, version: j.version };
      stale.push(node);
    } catch (err) {
      if (!(err instanceof QuorumKvError)) throw err;
      lastError = err;
    }
  }
  throw new StaleReadError(
    `get ${o.name}: no replica answered with what this session already saw (stale at ${stale.join(', ')}${lastError ? `; last error: ${lastError.message}` : ''})`,
    { attempts: tried.size, staleNodes: stale },
    { ...(lastError ? { cause: lastError } : {}) },
  );
}

function judge(o: SessionReadOptions, result: GetResult): { ok: true; version: VersionVector } | { ok: false } {
  let version: VersionVector;
  try {
    version = o.versionOf(result);
  } catch {
    return { ok: false };
  }
  return o.covers(version) ? { ok: true, version } : { ok: false };
}

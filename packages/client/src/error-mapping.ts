// The one place where a failed call becomes one of the SDK's typed errors, and where the retry loop
// learns whether the failure was the node's fault and whether the request can have reached it. A
// node's answer carries an ErrorDetail whose reason decides the error; only an answer without one
// (no node reached, a proxy, the SDK's own deadline) is read by its Connect code.
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason, QuorumFailureSchema, type ErrorDetail } from '@quorumkv/protocol';
import {
  CancelledError,
  ClusterChangeError,
  ForeignClusterError,
  InsufficientStorageError,
  InvalidArgumentError,
  LimitExceededError,
  OverloadedError,
  PermissionDeniedError,
  QuorumKvError,
  QuorumNotMetError,
  TimeoutError,
  TooManySiblingsError,
  UnauthenticatedError,
  UnavailableError,
  type ErrorOrigin,
  type ErrorReasonName,
  type QuorumFacts,
} from './errors.js';

/** What the retry loop needs to know about one failed attempt. */
export interface FailureInfo {
  /** The typed error to surface if the call gives up. */
  readonly error: QuorumKvError;
  /** The node itself failed (unreachable, reset, shutting down): route around it for a while. */
  readonly nodeFailed: boolean;
  /** The request certainly never reached the node (no connection was made), so any retry is safe. */
  readonly notSent: boolean;
  /** The node refused the request before doing any work (load shedding, not ready): any retry is safe. */
  readonly rejected: boolean;
  /**
   * No answer came before the attempt's deadline (the client's own timer, not a node's
   * DEADLINE_EXCEEDED): the node is counted as down. Whether the request reached it is unknown.
   */
  readonly timedOut: boolean;
}

/** System error codes raised before a single byte of the request left this process. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/** System error codes that mean the connection died under the request. */
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_DESTROYED', 'ERR_HTTP2_INVALID_STREAM', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_STREAM_CANCEL']);

/** `err` and its causes, each once. */
function causeChain(err: unknown): { code?: unknown; message?: unknown }[] {
  const chain: { code?: unknown; message?: unknown }[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = err;
  // Not `instanceof Error`: errors from another realm (Node internals seen from a jest VM context,
  // iframes) fail it, and connect-node's own classification misses them for that reason.
  while (typeof cur === 'object' && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    chain.push(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return chain;
}

function systemCodes(err: unknown): string[] {
  return causeChain(err).flatMap((e) => (typeof e.code === 'string' ? [e.code] : []));
}

/** Whether the HTTP/2 stream was reset with `rstCode` (named in connect-node's and Node's messages). */
function streamReset(err: unknown, rstCode: 'REFUSED_STREAM' | 'ENHANCE_YOUR_CALM'): boolean {
  return causeChain(err).some((e) => typeof e.message === 'string' && e.message.includes(rstCode));
}

/** First line of the error message, without Connect's `[code]` prefix. */
function describe(err: ConnectError): string {
  const cause = systemCodes(err.cause)[0];
  const msg = err.rawMessage || Code[err.code] || 'error';
  return cause && !msg.includes(cause) ? `${msg} (${cause})` : msg;
}

/** One failed attempt, as the mappings below see it. */
interface Failure {
  readonly ce: ConnectError;
  readonly operation: string;
  readonly node: string;
  readonly timeoutMs: number;
  /** `"<operation> on <node>"`, to start messages with. */
  readonly at: string;
  readonly origin: ErrorOrigin;
}

/** A failure that is the node's final answer: not the node's fault, and maybe done. */
const final = (error: QuorumKvError): FailureInfo => ({ error, nodeFailed: false, notSent: false, rejected: false, timedOut: false });

function quorumFacts(f: Failure): QuorumFacts {
  const q = f.ce.findDetails(QuorumFailureSchema)[0];
  const replicas = (q?.replicas ?? []).map((r) => ({ nodeId: r.nodeId, fallback: r.fallback, ok: r.ok, error: r.error }));
  return { operation: q?.operation || f.operation, asked: q?.asked ?? 0, answered: q?.answered ?? 0, required: q?.required ?? 0, replicas };
}

const invalid = (f: Failure, field: string, description: string): FailureInfo =>
  final(new InvalidArgumentError(field ? `invalid ${field}: ${description}` : `${f.at}: ${description}`, { field, description }, f.origin));

/**
 * What each reason a node gives becomes. The type requires an entry for every reason, so a reason
 * added to the contract cannot go unmapped.
 */
const BY_REASON: { readonly [R in Exclude<ErrorReason, ErrorReason.UNSPECIFIED>]: (f: Failure, d: ErrorDetail) => FailureInfo } = {
  [ErrorReason.INVALID_FIELD]: (f, d) => invalid(f, d.field, d.description || f.ce.rawMessage),
  [ErrorReason.MALFORMED_REQUEST]: (f) => invalid(f, '', f.ce.rawMessage),
  [ErrorReason.QUORUM_NOT_MET]: (f) => {
    const q = quorumFacts(f);
    return final(new QuorumNotMetError(`${q.operation} quorum not met: ${q.answered} of ${q.asked} replicas answered, ${q.required} required`, q, f.origin));
  },
  [ErrorReason.DEADLINE_EXCEEDED]: (f) => {
    const q = quorumFacts(f);
    const message = `${f.at}: timed out after ${f.timeoutMs} ms: ${q.answered} of ${q.asked} replicas answered, ${q.required} required`;
    return final(new TimeoutError(message, { timeoutMs: f.timeoutMs, quorum: q }, f.origin));
  },
  [ErrorReason.OVERLOADED]: (f) => ({ ...final(new OverloadedError(`${f.at}: node overloaded: ${describe(f.ce)}`, f.origin)), rejected: true }),
  [ErrorReason.TOO_MANY_SIBLINGS]: (f) => final(new TooManySiblingsError(`${f.at}: ${describe(f.ce)}`, f.origin)),
  [ErrorReason.STORAGE_FULL]: (f) => final(new InsufficientStorageError(`${f.at}: ${describe(f.ce)}`, f.origin)),
  [ErrorReason.FOREIGN_CLUSTER]: (f) => final(new ForeignClusterError(`${f.at}: ${describe(f.ce)}`, f.origin)),
  // The node did no work: route around it, and any retry elsewhere is safe.
  [ErrorReason.NOT_READY]: (f) => ({ ...final(new UnavailableError(`${f.at}: ${describe(f.ce)}`, f.origin)), nodeFailed: true, rejected: true }),
  [ErrorReason.UNAUTHENTICATED]: (f) => final(new UnauthenticatedError(`${f.at}: ${describe(f.ce)}`, f.origin)),
  [ErrorReason.PERMISSION_DENIED]: (f) => final(new PermissionDeniedError(`${f.at}: ${describe(f.ce)}`, f.origin)),
  [ErrorReason.CLUSTER_CHANGE_REFUSED]: (f) => final(new ClusterChangeError(`${f.at}: ${describe(f.ce)}`, f.origin)),
  [ErrorReason.INTERNAL]: (f) => final(new QuorumKvError(`${f.at}: ${describe(f.ce)}`, codeName(f.ce.code), f.origin)),
  [ErrorReason.LIMIT_EXCEEDED]: (f, d) =>
    final(new LimitExceededError(`${f.at}: limit exceeded: ${d.field}: ${d.description || f.ce.rawMessage}`, { limit: d.field, description: d.description }, f.origin)),
};

/** An answer without a node's reason: read by its Connect code, into the generic error of that code. */
function byCode(f: Failure, err: unknown, callerAborted: boolean): FailureInfo {
  const { ce, at, node, origin } = f;
  const codes = systemCodes(err);
  // A stream the node refused (REFUSED_STREAM, e.g. at its stream limit) was not processed at all
  // (RFC 9113, 8.7): as safe to send elsewhere as a connection that was never made.
  const notSent = codes.some((c) => NOT_SENT_CODES.has(c)) || streamReset(err, 'REFUSED_STREAM');
  const broken = notSent || codes.some((c) => BROKEN_CODES.has(c));
  switch (ce.code) {
    case Code.InvalidArgument:
      return invalid(f, '', ce.rawMessage);
    case Code.Unavailable: {
      const message = notSent ? `${f.operation}: cannot reach ${node}: ${describe(ce)}` : `${at}: node unavailable: ${describe(ce)}`;
      return { ...final(new UnavailableError(message, origin)), nodeFailed: true, notSent };
    }
    case Code.ResourceExhausted:
      // A stream the node cut (ENHANCE_YOUR_CALM: a message too slow, responses not read) may carry
      // work it already did; any other RESOURCE_EXHAUSTED without a reason is a refusal up front.
      return { ...final(new OverloadedError(`${at}: node overloaded: ${describe(ce)}`, origin)), rejected: !streamReset(err, 'ENHANCE_YOUR_CALM') };
    case Code.DeadlineExceeded:
      // No reason: no node said so, the attempt's own timer (or a proxy's) ran out.
      return { ...final(new TimeoutError(`${at}: timed out after ${f.timeoutMs} ms`, { timeoutMs: f.timeoutMs }, origin)), timedOut: true };
    case Code.Canceled:
      if (callerAborted) return final(new CancelledError(`${at}: cancelled`, origin));
      // Nobody asked to cancel: the HTTP/2 stream was cancelled under us (the peer died).
      return { ...final(new UnavailableError(`${at}: connection failed: ${describe(ce)}`, origin)), nodeFailed: true };
    default:
      // Aborted/Internal/Unknown caused by a dead connection are node failures, not answers.
      if (broken) return { ...final(new UnavailableError(`${at}: connection failed: ${describe(ce)}`, origin)), nodeFailed: true, notSent };
      return final(new QuorumKvError(`${at}: ${describe(ce)}`, codeName(ce.code), origin));
  }
}

/**
 * Turns whatever a call threw into a {@link FailureInfo}.
 * @param operation - `"get"`, `"put"`, `"delete"`, `"listKeys"` or an admin method, for messages
 * @param node - host:port the attempt went to
 * @param timeoutMs - the call's deadline, for {@link TimeoutError}
 * @param callerAborted - whether the caller's signal fired (a CANCELED without it is a dead stream)
 */
export function mapFailure(err: unknown, operation: string, node: string, timeoutMs: number, callerAborted = false): FailureInfo {
  if (err instanceof QuorumKvError) return final(err);
  const ce = ConnectError.from(err);
  const detail = ce.findDetails(ErrorDetailSchema)[0];
  const byReason = detail ? BY_REASON[detail.reason as keyof typeof BY_REASON] : undefined;
  const reason: ErrorReasonName = byReason ? (ErrorReason[detail!.reason]!.toLowerCase() as ErrorReasonName) : 'unspecified';
  const f: Failure = { ce, operation, node, timeoutMs, at: `${operation} on ${node}`, origin: { node, reason, cause: err } };
  // A reason this SDK does not know (a newer node) is read by its code.
  return byReason ? byReason(f, detail!) : byCode(f, err, callerAborted);
}

/** The Connect code name in snake case (`"invalid_argument"`), as used by {@link QuorumKvError.code}. */
export function codeName(code: Code): string {
  return (Code[code] ?? 'unknown').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

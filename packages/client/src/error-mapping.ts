// The one place where Connect errors become the SDK's typed errors, and where the retry loop learns
// whether a failure was the node's fault and whether the request can have reached it.
import { Code, ConnectError } from '@connectrpc/connect';
import { FieldViolationSchema, QuorumFailureSchema } from '@quorumkv/protocol';
import {
  CancelledError,
  InvalidArgumentError,
  OverloadedError,
  QuorumKvError,
  QuorumNotMetError,
  TimeoutError,
  TooManySiblingsError,
  UnavailableError,
} from './errors.js';

/** What the retry loop needs to know about one failed attempt. */
export interface FailureInfo {
  /** The typed error to surface if the call gives up. */
  readonly error: QuorumKvError;
  /** The node itself failed (unreachable, reset, shutting down): route around it for a while. */
  readonly nodeFailed: boolean;
  /** The request certainly never reached the node (no connection was made), so any retry is safe. */
  readonly notSent: boolean;
  /** The node refused the request before doing any work (load shedding): any retry is safe. */
  readonly rejected: boolean;
}

/** System error codes raised before a single byte of the request left this process. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/** System error codes that mean the connection died under the request. */
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_DESTROYED', 'ERR_HTTP2_INVALID_STREAM', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_SESSION_ERROR', 'ERR_HTTP2_STREAM_CANCEL']);

function systemCodes(err: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = err;
  // Not `instanceof Error`: errors from another realm (Node internals seen from a jest VM context,
  // iframes) fail it, and connect-node's own classification misses them for that reason.
  while (typeof cur === 'object' && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    cur = (cur as { cause?: unknown }).cause;
  }
  return codes;
}

/** First line of the error message, without Connect's `[code]` prefix. */
function describe(err: ConnectError): string {
  const cause = systemCodes(err.cause)[0];
  const msg = err.rawMessage || Code[err.code] || 'error';
  return cause && !msg.includes(cause) ? `${msg} (${cause})` : msg;
}

/**
 * Turns whatever a Connect call threw into a {@link FailureInfo}.
 * @param operation - `"get"`, `"put"`, `"delete"`, `"listKeys"` or an admin method, for messages
 * @param node - host:port the attempt went to
 * @param timeoutMs - the call's deadline, for {@link TimeoutError}
 * @param callerAborted - whether the caller's signal fired (a CANCELED without it is a dead stream)
 */
export function mapFailure(err: unknown, operation: string, node: string, timeoutMs: number, callerAborted = false): FailureInfo {
  if (err instanceof QuorumKvError) return { error: err, nodeFailed: false, notSent: false, rejected: false };
  const ce = ConnectError.from(err);
  const codes = systemCodes(err);
  const notSent = codes.some((c) => NOT_SENT_CODES.has(c));
  const broken = notSent || codes.some((c) => BROKEN_CODES.has(c));
  const opts = { cause: err };
  const at = `${operation} on ${node}`;
  switch (ce.code) {
    case Code.InvalidArgument: {
      const v = ce.findDetails(FieldViolationSchema)[0];
      const field = v?.field ?? '';
      const description = v?.description ?? ce.rawMessage;
      const message = field ? `invalid ${field}: ${description}` : `invalid argument: ${description}`;
      return { error: new InvalidArgumentError(message, field, description, node, opts), nodeFailed: false, notSent: false, rejected: false };
    }
    case Code.Unavailable: {
      const q = ce.findDetails(QuorumFailureSchema)[0];
      if (q) {
        const replicas = q.replicas.map((r) => ({ nodeId: r.nodeId, fallback: r.fallback, ok: r.ok, error: r.error }));
        const message = `${q.operation || operation} quorum not met: ${q.answered} of ${q.asked} replicas answered, ${q.required} required`;
        const error = new QuorumNotMetError(message, q.operation || operation, q.asked, q.answered, q.required, replicas, node, opts);
        return { error, nodeFailed: false, notSent: false, rejected: false };
      }
      const message = notSent ? `${operation}: cannot reach ${node}: ${describe(ce)}` : `${at}: node unavailable: ${describe(ce)}`;
      return { error: new UnavailableError(message, node, opts), nodeFailed: true, notSent, rejected: false };
    }
    case Code.ResourceExhausted:
      return { error: new OverloadedError(`${at}: node overloaded: ${describe(ce)}`, node, opts), nodeFailed: false, notSent: false, rejected: true };
    case Code.DeadlineExceeded:
      return { error: new TimeoutError(`${at}: timed out after ${timeoutMs} ms`, timeoutMs, node, opts), nodeFailed: false, notSent: false, rejected: false };
    case Code.Canceled:
      if (callerAborted) return { error: new CancelledError(`${at}: cancelled`, node, opts), nodeFailed: false, notSent: false, rejected: false };
      // Nobody asked to cancel: the HTTP/2 stream was cancelled under us (the peer died).
      return { error: new UnavailableError(`${at}: connection failed: ${describe(ce)}`, node, opts), nodeFailed: true, notSent: false, rejected: false };
    case Code.FailedPrecondition: {
      const kv = operation === 'get' || operation === 'put' || operation === 'delete';
      const error = kv
        ? new TooManySiblingsError(`${at}: ${describe(ce)}`, node, opts)
        : new QuorumKvError(`${at}: ${describe(ce)}`, 'failed_precondition', node, opts);
      // A final answer, not load shedding: never retried elsewhere.
      return { error, nodeFailed: false, notSent: false, rejected: false };
    }
    default: {
      // Aborted/Internal/Unknown caused by a dead connection are node failures, not server answers.
      const name = codeName(ce.code);
      if (broken) return { error: new UnavailableError(`${at}: connection failed: ${describe(ce)}`, node, opts), nodeFailed: true, notSent, rejected: false };
      return { error: new QuorumKvError(`${at}: ${describe(ce)}`, name, node, opts), nodeFailed: false, notSent: false, rejected: false };
    }
  }
}

/** The Connect code name in snake case (`"invalid_argument"`), as used by {@link QuorumKvError.code}. */
export function codeName(code: Code): string {
  return (Code[code] ?? 'unknown').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

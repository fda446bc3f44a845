// What the forwarding node makes of a failed forward: whether the request may go to the key's next
// primary, and whether the target simply never answered in time.
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorDetailSchema, ErrorReason } from '@quorumkv/protocol';

/** System error codes that mean no connection was made: the request never left this node. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Whether the failure shows the request never reached the target (walks the `cause` chain, bounded). */
function neverSent(err: ConnectError): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && typeof cur === 'object' && cur !== null; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT.has(code)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  // The peer refused the HTTP/2 stream before reading it.
  return /\bREFUSED_STREAM\b/.test(err.rawMessage);
}

/**
 * Whether a forwarded request may be sent to the next primary. Any node's own answer carries an
 * ErrorDetail, and only NOT_READY (it did no work) lets the request move on. A failure without one
 * (the connection failed) lets a read move on; a write only when it provably never reached the
 * target: a target that got it may have applied it, and a second coordinator would mint a second
 * dot, a duplicate of a value written once.
 */
export function tryNextPrimary(err: unknown, op: 'get' | 'put' | 'delete'): err is ConnectError {
  if (!(err instanceof ConnectError)) return false;
  const detail = err.findDetails(ErrorDetailSchema)[0];
  if (detail) return detail.reason === ErrorReason.NOT_READY;
  if (op !== 'get') return neverSent(err);
  return err.code === Code.Unavailable || err.code === Code.Internal;
}

/** The target did not answer before the deadline (a target's own deadline answer carries an ErrorDetail). */
export function silentUntilDeadline(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.DeadlineExceeded && err.findDetails(ErrorDetailSchema).length === 0;
}
